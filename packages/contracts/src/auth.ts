import { Type, type Static } from 'typebox';
import { TimestampSchema } from './common.js';

import { ORG_ID_PATTERN, USERNAME_PATTERN } from './constants.js';

export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('viewer')]);
/** A platform role, or null for a member-only user (one who only belongs to organisations). */
export const PlatformRoleSchema = Type.Union([RoleSchema, Type.Null()], {
  description: 'admin | operator | viewer; null: a member-only user, who reaches only its organisations',
});
export const OrgRoleSchema = Type.Union([Type.Literal('owner'), Type.Literal('developer')], {
  description:
    'owner: members and settings, and everything a developer does; developer: mini programs, packages, submissions, association requests',
});
export const OrgIdSchema = Type.String({
  pattern: ORG_ID_PATTERN,
  description: 'lower-case letters, digits and -; `platform` is built in',
});
/** A user's membership of one organisation. */
export const MembershipSchema = Type.Object({ orgId: Type.String(), role: OrgRoleSchema });
export type Membership = Static<typeof MembershipSchema>;

export const UsernameSchema = Type.String({
  pattern: USERNAME_PATTERN,
  description: '1..64 of letters, digits, . _ @ -',
});
export const PasswordSchema = Type.String({ minLength: 12, maxLength: 256, description: 'at least 12 characters' });

export const SignInBodySchema = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export type SignInBody = Static<typeof SignInBodySchema>;

/** `GET /api/v1/session/options` (public): how the sign-in page offers to sign in. */
export const SessionOptionsSchema = Type.Object({
  localSignIn: Type.Boolean({ description: 'user name and password sign-in is offered (MPOP_LOCAL_SIGNIN)' }),
  sso: Type.Boolean({ description: 'single sign-on with OpenID Connect is configured: start it at /api/v1/session/oidc/start' }),
  noUsers: Type.Optional(
    Type.Boolean({ description: 'no user exists yet: nobody can sign in until the first admin is created (the sign-in page says how)' }),
  ),
  publicUrl: Type.String({
    description: 'the address host apps reach this platform at (MPOP_PUBLIC_URL); config files carry `<publicUrl>/client/v1` as gatewayUrl',
  }),
});
export type SessionOptions = Static<typeof SessionOptionsSchema>;

export const SessionUserSchema = Type.Object({
  username: Type.String(),
  role: PlatformRoleSchema,
  /** The organisations the user belongs to, with its role in each (empty for most operators). */
  memberships: Type.Array(MembershipSchema),
});
export type SessionUser = Static<typeof SessionUserSchema>;
export const SessionSchema = Type.Object({ user: SessionUserSchema });
export type Session = Static<typeof SessionSchema>;

/** A console user. `disabled` users cannot sign in, and their sessions and tokens stop working. */
export const UserSchema = Type.Object({
  username: Type.String(),
  role: PlatformRoleSchema,
  /** Created by single sign-on: signs in only through the identity provider, which also sets the role. */
  sso: Type.Boolean(),
  disabled: Type.Boolean(),
  createdAt: TimestampSchema,
});
export type User = Static<typeof UserSchema>;
export const UserListSchema = Type.Object({ items: Type.Array(UserSchema) });
export const CreateUserBodySchema = Type.Object(
  {
    username: UsernameSchema,
    password: PasswordSchema,
    role: Type.Optional(Type.Union([RoleSchema, Type.Null()], { description: 'left out or null: a member-only user' })),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBodySchema>;
export const UserParamsSchema = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) });
/**
 * `PATCH /api/v1/users/{username}` (admin): change the role, disable or enable, or set a new password (which ends
 * the user's sessions). The last enabled admin can be neither demoted nor disabled (409 `LAST_ADMIN`).
 */
export const UpdateUserBodySchema = Type.Object(
  {
    role: Type.Optional(PlatformRoleSchema),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(PasswordSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBodySchema>;
/** `PUT /api/v1/session/password`: the signed-in user's own password; their other sessions end. */
export const ChangePasswordBodySchema = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 256 }), newPassword: PasswordSchema },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBodySchema>;

export const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** null: the token of a member-only user; it acts with its creator's organisation memberships only. */
  role: PlatformRoleSchema,
  createdBy: Type.String(),
  createdAt: TimestampSchema,
  lastUsedAt: Type.Union([TimestampSchema, Type.Null()], { description: 'last use, to the minute' }),
  expiresAt: Type.Union([TimestampSchema, Type.Null()], { description: 'null: never expires' }),
});
export type Token = Static<typeof TokenSchema>;
export const TokenListSchema = Type.Object({ items: Type.Array(TokenSchema) });
export const CreateTokenBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    role: Type.Optional(RoleSchema),
    expiresAt: Type.Optional(TimestampSchema),
  },
  { additionalProperties: false },
);
export type CreateTokenBody = Static<typeof CreateTokenBodySchema>;
/** The only answer that ever carries the token itself. */
export const CreatedTokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: PlatformRoleSchema,
  expiresAt: Type.Union([TimestampSchema, Type.Null()]),
  token: Type.String(),
});
export type CreatedToken = Static<typeof CreatedTokenSchema>;
