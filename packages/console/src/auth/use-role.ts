import { type Role, roleAtLeast } from '@mpop/contracts/constants';
import type { MessageKey } from '../i18n/messages';
import { useSession } from './use-session';

const ROLE_LABEL: Record<Role, MessageKey> = { admin: 'roleAdmin', operator: 'roleOperator', viewer: 'roleViewer' };
/** The message key of a role's name (`Operator` / `操作员`). */
export const roleLabel = (role: Role | null): MessageKey => (role ? ROLE_LABEL[role] : 'roleNone');

/**
 * What the signed-in user's role allows, by the same rule the server applies: the console hides what a role may
 * not do instead of letting it fail after Confirm.
 */
export function useCan(): (need: Role) => boolean {
  const { user } = useSession();
  return (need) => Boolean(user?.role && roleAtLeast(user.role, need));
}
