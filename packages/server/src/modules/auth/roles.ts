import { type Role, roleAtLeast } from '@mpop/contracts';
import type { StoredRole } from '../../db/schema.js';

/** Whether `have` may do what needs `need` (admin ⊇ operator ⊇ viewer); the rule lives in the contract. */
export { roleAtLeast };
/** The lower of two roles (a token never outranks its creator). */
export const lowerRole = (a: Role, b: Role): Role => (roleAtLeast(a, b) ? b : a);
/** The lower of two platform roles, where null (a member-only user) is below every role. */
export const lowerPlatformRole = (a: Role | null, b: Role | null): Role | null => (a === null || b === null ? null : lowerRole(a, b));
/** Whether a platform role (null: none) may do what needs `need`. */
export const platformRoleAtLeast = (have: Role | null, need: Role): boolean => have !== null && roleAtLeast(have, need);
/** A stored role as the API shows it: `none` (the NOT NULL column's member-only value) is null. */
export const fromStoredRole = (role: StoredRole): Role | null => (role === 'none' ? null : role);
export const toStoredRole = (role: Role | null): StoredRole => role ?? 'none';
