import { type Role, roleAtLeast } from '@mpop/contracts';

/** Whether `have` may do what needs `need` (admin ⊇ operator ⊇ viewer); the rule lives in the contract. */
export { roleAtLeast };
/** The lower of two roles (a token never outranks its creator). */
export const lowerRole = (a: Role, b: Role): Role => (roleAtLeast(a, b) ? b : a);
