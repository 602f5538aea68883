import { type Role, roleAtLeast } from '@mpop/contracts/constants';
import type { Membership, OrgRole, SessionUser } from '@mpop/contracts';
import type { MessageKey } from '../i18n/messages';
import { useSession } from './use-session';

const ROLE_LABEL: Record<Role, MessageKey> = { admin: 'roleAdmin', operator: 'roleOperator', viewer: 'roleViewer' };
/** The message key of a role's name (`Operator` / `操作员`); a user with no platform role is a member only. */
export const roleLabel = (role: Role | null): MessageKey => (role ? ROLE_LABEL[role] : 'roleNone');
const ORG_ROLE_LABEL: Record<OrgRole, MessageKey> = { owner: 'orgRoleOwner', developer: 'orgRoleDeveloper' };
/** The message key of an organisation role's name (`Owner` / `所有者`). */
export const orgRoleLabel = (role: OrgRole): MessageKey => ORG_ROLE_LABEL[role];

/**
 * What the signed-in user's role allows, by the same rule the server applies: the console hides what a role may
 * not do instead of letting it fail after Confirm. A user with no platform role (a member only) may do none of it.
 */
export function useCan(): (need: Role) => boolean {
  const { user } = useSession();
  return (need) => Boolean(user?.role && roleAtLeast(user.role, need));
}

/**
 * Who may open a screen: a platform role from this one up, `member` (the Developer Backend), or `member-only` (a
 * user with no platform role: what the Admin Backend offers everyone, such as API tokens, in the Developer Backend).
 */
export type Access = Role | 'member' | 'member-only';

/** The user's organisations and roles in them (none for a user of the platform only). */
export function useMemberships(): Membership[] {
  const { user } = useSession();
  return (user as SessionUser | null | undefined)?.memberships ?? [];
}

/**
 * Whether the user may open a screen. The Developer Backend is for members of organisations, and for a user with
 * no platform role at all (who sees it, empty, until an admin adds them to an organisation).
 */
export function useAccess(): (need: Access) => boolean {
  const { user } = useSession();
  const can = useCan();
  const memberships = useMemberships();
  return (need) => {
    if (need === 'member') return Boolean(user && (!user.role || memberships.length > 0));
    if (need === 'member-only') return Boolean(user && !user.role);
    return can(need);
  };
}
