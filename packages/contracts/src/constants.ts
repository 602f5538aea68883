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
  'mini-program.created',
  'mini-program.package.uploaded',
  'mini-program.released',
  'mini-program.rollout.changed',
  'mini-program.rolled-back',
  'mini-program.taken-down',
  'mini-program.authorized',
  'mini-program.revoked',
  'signing.retried',
  'master-key.rotated',
  'installation.restored',
  'webhook.created',
  'webhook.deleted',
] as const;
export type AuditAction = (typeof AuditActions)[number];

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
