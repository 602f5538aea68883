import { type Static, Type } from 'typebox';
import { OrgIdSchema, OrgRoleSchema, UserParamsSchema, UsernameSchema } from './auth.js';
import { TimestampSchema } from './common.js';

/**
 * An organisation of the open platform: the vendor, partner or internal team that builds mini programs. Its members
 * reach only its own mini programs. The built-in organisation `platform` holds what existed before organisations.
 */
export const OrganisationSchema = Type.Object({
  orgId: Type.String(),
  name: Type.String(),
  /** true: a version must pass review (be `approved`) before it can be released (else 409 NOT_APPROVED). */
  reviewRequired: Type.Boolean(),
  /** true: the organisation cannot upload, submit or ask for associations (403 ORGANISATION_SUSPENDED); what it released keeps serving. */
  suspended: Type.Boolean(),
  /** How many members it has. */
  members: Type.Integer(),
  createdAt: TimestampSchema,
});
export type Organisation = Static<typeof OrganisationSchema>;
export const OrganisationListSchema = Type.Object({ items: Type.Array(OrganisationSchema) });
export type OrganisationList = Static<typeof OrganisationListSchema>;

export const OrgParamsSchema = Type.Object({ orgId: OrgIdSchema });
export const MemberParamsSchema = Type.Object({ orgId: OrgIdSchema, username: UserParamsSchema.properties.username });

/** `POST /api/v1/organisations` (admin): `reviewRequired` starts true; `owner` (an existing user) becomes its first owner. */
export const CreateOrganisationBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    owner: Type.Optional(UsernameSchema),
  },
  { additionalProperties: false },
);
export type CreateOrganisationBody = Static<typeof CreateOrganisationBodySchema>;

/** `PATCH /api/v1/organisations/{orgId}` (admin). */
export const UpdateOrganisationBodySchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    reviewRequired: Type.Optional(Type.Boolean()),
    suspended: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateOrganisationBody = Static<typeof UpdateOrganisationBodySchema>;

/** A member of an organisation. */
export const MemberSchema = Type.Object({
  username: Type.String(),
  role: OrgRoleSchema,
  addedAt: TimestampSchema,
});
export type Member = Static<typeof MemberSchema>;
export const MemberListSchema = Type.Object({ items: Type.Array(MemberSchema) });
export type MemberList = Static<typeof MemberListSchema>;

/** `PUT /api/v1/organisations/{orgId}/members/{username}` (admin, owner): adds the user or changes its role. */
export const SetMemberBodySchema = Type.Object({ role: OrgRoleSchema }, { additionalProperties: false });
export type SetMemberBody = Static<typeof SetMemberBodySchema>;
