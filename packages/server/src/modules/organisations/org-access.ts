import { type OrgRole, orgRoleAtLeast, type Role } from '@mpop/contracts';
import { AppError, notFound } from '../../lib/app-error.js';
import type { Principal } from '../auth/auth.service.js';
import { platformRoleAtLeast } from '../auth/roles.js';

/** What a call about one organisation needs: a platform role, or a role in the organisation. */
export interface OrgNeed {
  platform: Role;
  org: OrgRole;
}

/** The principal's role in an organisation, or undefined when it is not a member. */
export const orgRoleOf = (principal: Principal, orgId: string): OrgRole | undefined =>
  principal.memberships.find((m) => m.orgId === orgId)?.role;

/** Whether the principal may see the organisation's things at all: any platform role, or a membership. */
export const canSeeOrg = (principal: Principal, orgId: string): boolean =>
  principal.role !== null || orgRoleOf(principal, orgId) !== undefined;

/**
 * The organisations whose things a principal sees: undefined for every one (platform roles), else its memberships.
 * Lists filter by it.
 */
export const visibleOrgIds = (principal: Principal): string[] | undefined =>
  principal.role !== null ? undefined : principal.memberships.map((m) => m.orgId);

/**
 * Allows a call about an organisation's thing (`what`, for the message) when the principal has the platform role
 * `need.platform` or the organisation role `need.org` in it. Someone who cannot see the organisation at all gets
 * 404 NOT_FOUND, as if it did not exist; someone who sees it with too low a role, 403 FORBIDDEN.
 */
export function requireOrgAccess(principal: Principal, orgId: string, need: OrgNeed, what: string): void {
  if (platformRoleAtLeast(principal.role, need.platform)) return;
  const mine = orgRoleOf(principal, orgId);
  if (mine && orgRoleAtLeast(mine, need.org)) return;
  if (!canSeeOrg(principal, orgId)) throw notFound(what);
  throw new AppError(
    'FORBIDDEN',
    mine
      ? `A ${mine} of the organisation "${orgId}" may not do this; it needs ${need.org === 'owner' ? 'an owner' : 'a developer'} of it, or the ${need.platform} platform role.`
      : `Your role (${principal.role}) may not do this; it needs the ${need.platform} role.`,
  );
}

/** Refuses changes for an organisation that a platform admin suspended. */
export function requireNotSuspended(org: { orgId: string; suspendedAt: string | null }, what: string) {
  if (org.suspendedAt !== null) {
    throw new AppError(
      'ORGANISATION_SUSPENDED',
      `The organisation "${org.orgId}" is suspended, so it cannot ${what}; what it released keeps serving. Ask a platform admin to lift the suspension.`,
    );
  }
}
