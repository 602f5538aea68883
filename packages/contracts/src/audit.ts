import { type Static, Type } from 'typebox';
import { TimestampSchema } from './common.js';

export const AuditEventSchema = Type.Object({
  at: TimestampSchema,
  actor: Type.String({ description: '`alice`, or `alice (token ci-deploy)` for a change made with an API token' }),
  action: Type.String({ description: 'one of the closed list of actions, e.g. `host-app.created`' }),
  target: Type.String({ description: 'what changed: `host-app:<workspaceId>/<appId>`, `user:<name>`, `token:<id>`, …' }),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type AuditEvent = Static<typeof AuditEventSchema>;

/** The filters of the audit log, shared by the JSON list and the CSV export. */
export const AuditFilterSchema = Type.Object({
  action: Type.Optional(Type.String({ maxLength: 64, description: 'exact action' })),
  actor: Type.Optional(Type.String({ maxLength: 128, description: 'part of the actor, case-insensitive' })),
  target: Type.Optional(Type.String({ maxLength: 256, description: 'part of the target, case-insensitive' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'events at or after this instant (ISO 8601)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'events before this instant (ISO 8601)' })),
});
export type AuditFilter = Static<typeof AuditFilterSchema>;

export const AuditQuerySchema = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  ...AuditFilterSchema.properties,
});
export type AuditQuery = Static<typeof AuditQuerySchema>;
