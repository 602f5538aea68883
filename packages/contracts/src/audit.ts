import { type Static, Type } from 'typebox';
import { PageQuerySchema, TimestampSchema } from './common.js';
import { AuditActions } from './constants.js';

/** What was done: one of the closed list `AuditActions` (constants.ts), the list `AuditRepository.record` takes. */
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
  address: Type.Optional(
    Type.String({
      description:
        'The client address of the request (behind a proxy, as MPOP_TRUST_PROXY lets the server see it); absent for the command line and older events',
    }),
  ),
});
export type AuditEvent = Static<typeof AuditEventSchema>;

/** The filters of the audit log, shared by the JSON list and the CSV export. */
export const AuditFilterSchema = Type.Object({
  action: Type.Optional(AuditActionSchema),
  actor: Type.Optional(Type.String({ maxLength: 128, description: 'part of the actor, case-insensitive' })),
  target: Type.Optional(Type.String({ maxLength: 256, description: 'part of the target, case-insensitive' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'events at or after this instant (ISO 8601)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'events before this instant (ISO 8601)' })),
});
export type AuditFilter = Static<typeof AuditFilterSchema>;

export const AuditQuerySchema = Type.Object({
  ...PageQuerySchema.properties,
  ...AuditFilterSchema.properties,
});
export type AuditQuery = Static<typeof AuditQuerySchema>;
