import type { Role } from '@mpop/contracts';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether `have` may do what needs `need` (admin ⊇ operator ⊇ viewer). */
export const roleAtLeast = (have: Role, need: Role) => RANK[have] >= RANK[need];
/** The lower of two roles (a token never outranks its creator). */
export const lowerRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);
