import { type Static, Type } from 'typebox';
import { OrgIdSchema } from './auth.js';
import { PageQuerySchema, Page, TimestampSchema } from './common.js';
import { WORKSPACE_ID_PATTERN } from './constants.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const AssociationStateSchema = Type.Union(
  [Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('revoked')],
  { description: 'pending → approved | rejected; approved → revoked' },
);

/**
 * A mini program's request to reach a host app. Approved, the host app is authorised for the mini program (as a
 * direct authorisation, which also shows here as an approved association); revoked, it no longer gets it.
 */
export const AssociationSchema = Type.Object({
  associationId: Type.String(),
  miniProgramId: Type.String(),
  orgId: Type.String(),
  workspaceId: Type.String(),
  appId: Type.String(),
  state: AssociationStateSchema,
  note: Nullable(Type.String()),
  reason: Nullable(Type.String({ description: 'why it was rejected' })),
  requestedBy: Type.String(),
  requestedAt: TimestampSchema,
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(TimestampSchema),
});
export type Association = Static<typeof AssociationSchema>;
export const AssociationPageSchema = Page(AssociationSchema);
export type AssociationPage = Static<typeof AssociationPageSchema>;

export const AssociationParamsSchema = Type.Object({ associationId: Type.String({ minLength: 1, maxLength: 64 }) });

/** `POST /api/v1/mini-programs/{id}/associations` (members of the mini program's organisation, admin, operator). */
export const RequestAssociationBodySchema = Type.Object(
  {
    workspaceId: Type.String({ pattern: WORKSPACE_ID_PATTERN }),
    appId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }),
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type RequestAssociationBody = Static<typeof RequestAssociationBodySchema>;

/** A decision's reason: `POST /api/v1/associations/{id}/reject`, `POST .../packages/{version}/reject`. */
export const ReasonBodySchema = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 1000, description: 'why, for the developers (1..1000 characters)' }) },
  { additionalProperties: false },
);
export type ReasonBody = Static<typeof ReasonBodySchema>;

/** `GET /api/v1/associations`: every filter optional; newest request first. */
export const AssociationListQuerySchema = Type.Object({
  state: Type.Optional(AssociationStateSchema),
  miniProgramId: Type.Optional(Type.String({ pattern: '^[0-9]{16}$' })),
  orgId: Type.Optional(OrgIdSchema),
  workspaceId: Type.Optional(Type.String({ pattern: WORKSPACE_ID_PATTERN })),
  appId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' })),
  ...PageQuerySchema.properties,
});
export type AssociationListQuery = Static<typeof AssociationListQuerySchema>;
