/**
 * The contract's plain values: patterns, limits, roles, audit actions. No TypeBox here, so a browser bundle
 * (the console imports `@mpop/contracts/constants`) carries a few hundred bytes instead of the schema library.
 * The schemas in the other files are built from these.
 */

export const Roles = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof Roles)[number];
const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
/** Whether `have` may do what needs `need` (admin ⊇ operator ⊇ viewer): the server's rule, also used by the console. */
export const roleAtLeast = (have: Role, need: Role): boolean => ROLE_RANK[have] >= ROLE_RANK[need];

/**
 * Roles in an organisation (open platform): an `owner` manages its members and settings and does everything a
 * `developer` does (mini programs, packages, submissions for review, association requests).
 */
export const OrgRoles = ['owner', 'developer'] as const;
export type OrgRole = (typeof OrgRoles)[number];
/** Whether an organisation role `have` may do what needs `need` (owner ⊇ developer). */
export const orgRoleAtLeast = (have: OrgRole, need: OrgRole): boolean => have === 'owner' || need === 'developer';
/** An organisation's ID: lower-case letters, digits and `-`; generated for new organisations. */
export const ORG_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,63}$';
/** The built-in organisation that holds the mini programs made before organisations existed (no review needed). */
export const PLATFORM_ORG_ID = 'platform';

export const AssociationStates = ['pending', 'approved', 'rejected', 'revoked'] as const;
export type AssociationState = (typeof AssociationStates)[number];
/** A package version's review: draft → in-review → approved | rejected | withdrawn; rejected and withdrawn may be submitted again. */
export const ReviewStates = ['draft', 'in-review', 'approved', 'rejected', 'withdrawn'] as const;
export type ReviewState = (typeof ReviewStates)[number];
export const CheckOutcomes = ['pass', 'warn', 'fail'] as const;
export type CheckOutcome = (typeof CheckOutcomes)[number];

/**
 * The longest name a person gives a host app or a mini program, in characters once spaces are collapsed and the ends
 * trimmed (the raw text may be longer, up to the schema's bound).
 */
export const NAME_MAX = 64;
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';
export const WORKSPACE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
/** Limit of the private key file of the development configuration upload. */
export const PRIVATE_KEY_MAX_BYTES = 16 * 1024;
export const PACKAGE_VERSION_PATTERN = '^[0-9]{1,9}(\\.[0-9]{1,9}){3}$';

/**
 * Every action the audit log records: the closed list that `AuditRepository.record` takes and the audit list's
 * `action` filter accepts. A new kind of change adds one line here, and a label in the console's messages (its
 * type check fails until it has one).
 */
export const AuditActions = [
  'session.created',
  'session.deleted',
  'session.failed',
  'user.created',
  'user.updated',
  'user.password-changed',
  'user.deleted',
  'token.created',
  'token.revoked',
  'host-app.created',
  'host-app.synced',
  'host-app.deleted',
  'host-app.updated',
  'host-app.enabled',
  'host-app.disabled',
  'host-app.dev-config.set',
  'host-app.key.retired',
  'mini-program.created',
  'mini-program.package.uploaded',
  'mini-program.released',
  'mini-program.rollout.changed',
  'mini-program.rolled-back',
  'mini-program.taken-down',
  'mini-program.authorized',
  'mini-program.revoked',
  'organisation.created',
  'organisation.updated',
  'organisation.member.set',
  'organisation.member.removed',
  'organisation.release-key.added',
  'organisation.release-key.removed',
  'association.requested',
  'association.approved',
  'association.rejected',
  'association.revoked',
  'review.submitted',
  'review.withdrawn',
  'review.approved',
  'review.rejected',
  'signing.retried',
  'master-key.rotated',
  'installation.restored',
  'webhook.created',
  'webhook.deleted',
  'installation.backed-up',
] as const;
export type AuditAction = (typeof AuditActions)[number];

/** The gate's route: what host apps call on every launch (`POST`), the path servers, metrics and clients share. */
export const RESOURCES_URL = '/client/v1/resources';

/**
 * The events a webhook can subscribe to (their schemas are in webhooks.ts). Association and review events come from
 * the open platform (organisations and their mini programs), release events from controlled releases and their
 * autopilot.
 */
export const WebhookEventTypes = [
  'association.requested',
  'association.approved',
  'association.rejected',
  'association.revoked',
  'review.submitted',
  'review.approved',
  'review.rejected',
  'release.created',
  'release.completed',
  'release.paused',
  'release.rolled-back',
  'release.taken-down',
  'release.advanced',
] as const;

export type WebhookEventType = (typeof WebhookEventTypes)[number];
