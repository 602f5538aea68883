import { type Static, Type } from 'typebox';
import { PageQuerySchema, TimestampSchema } from './common.js';

/**
 * Every action the audit log records: the closed list that `AuditRepository.record` takes and the audit list's
 * `action` filter accepts. A new kind of change adds one line here.
 */
export const AuditActions = [
  'session.created',
  'session.deleted',
  'session.failed',
  'user.created',
  'user.deleted',
  'user.updated',
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
  'master-key.rotated',
  'installation.restored',
] as const;
export type AuditAction = (typeof AuditActions)[number];
export const AuditActionSchema = Type.Enum([...AuditActions], { description: 'What was done (`<resource>.<verb>`).' });

export const AuditEventSchema = Type.Object({
  at: TimestampSchema,
  actor: Type.String({ description: '`alice`, or `alice (token ci-deploy)` for a change made with an API token' }),
  // Events are kept for good: an answer may hold an action that a later version no longer records.
  action: Type.String({ description: 'One of the actions of the `action` filter.' }),
  target: Type.String({
    description: '`host-app:<workspaceId>/<appId>`, `mini-program:<id>`, `user:<name>`, `token:<id>`, `backup:<file>`, `installation`',
  }),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type AuditEvent = Static<typeof AuditEventSchema>;

export const AuditQuerySchema = Type.Object({
  ...PageQuerySchema.properties,
  action: Type.Optional(AuditActionSchema),
});
