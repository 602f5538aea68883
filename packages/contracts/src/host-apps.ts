import { Type, type Static } from 'typebox';
import { PageQuerySchema, TimestampSchema } from './common.js';
import { NAME_MAX, WORKSPACE_ID_PATTERN } from './constants.js';

/** mPaaS AppIds are upper-case alphanumerics; ours are 13 hex digits. Accept both, reject anything path-like. */
export const APP_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';

export const HostAppSourceSchema = Type.Union([Type.Literal('manual'), Type.Literal('mpaas')]);

export const HostAppSchema = Type.Object({
  appId: Type.String(),
  workspaceId: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  source: HostAppSourceSchema,
  devConfigured: Type.Boolean(),
  enabled: Type.Boolean({ description: 'false: the client API refuses the host app (403 HOST_APP_DISABLED) until it is enabled again' }),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
});
export type HostApp = Static<typeof HostAppSchema>;

export const HostAppListSchema = Type.Object({
  items: Type.Array(HostAppSchema),
  total: Type.Integer({
    description: 'how many host apps the list (and its query) holds; for a search with many matches, an estimate (see totalIsEstimate)',
  }),
  totalIsEstimate: Type.Boolean({
    description:
      'true when `total` is estimated (a search matching more host apps than about 200 beyond the page: two significant digits, never fewer than the matches already seen); false when counted exactly',
  }),
  page: Type.Integer(),
  pageSize: Type.Integer(),
});
export type HostAppList = Static<typeof HostAppListSchema>;

export const HostAppListQuerySchema = Type.Object({
  query: Type.Optional(Type.String({ maxLength: 128 })),
  // Empty means "every workspace", as in `?query=&workspaceId=&page=1`.
  workspaceId: Type.Optional(Type.String({ pattern: '^([A-Za-z0-9][A-Za-z0-9_-]{0,63})?$' })),
  ...PageQuerySchema.properties,
});
export type HostAppListQuery = Static<typeof HostAppListQuerySchema>;

export const CreateHostAppBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: `1..${NAME_MAX} characters after trimming` }),
    workspaceId: Type.String({ pattern: WORKSPACE_ID_PATTERN }),
  },
  { additionalProperties: false },
);
export type CreateHostAppBody = Static<typeof CreateHostAppBodySchema>;

export const UpdateHostAppBodySchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({ description: 'false disables the host app: the client API refuses it until it is enabled again' }),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: `1..${NAME_MAX} characters after trimming` })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateHostAppBody = Static<typeof UpdateHostAppBodySchema>;

export const HostAppParamsSchema = Type.Object({
  workspaceId: Type.String({ pattern: WORKSPACE_ID_PATTERN }),
  appId: Type.String({ pattern: APP_ID_PATTERN }),
});

export const PrivateKeyInfoSchema = Type.Object({
  fileName: Type.String(),
  algorithm: Type.Literal('RSA'),
  bits: Type.Integer(),
  format: Type.Union([Type.Literal('pkcs1'), Type.Literal('pkcs8')]),
  fingerprintSha256: Type.String({ description: 'hex SHA-256 of the public key SPKI DER' }),
  publicKeyPem: Type.String(),
  uploadedAt: TimestampSchema,
});

export const DevConfigSchema = Type.Object({
  virtualDomain: Type.String(),
  privateKey: PrivateKeyInfoSchema,
  updatedAt: TimestampSchema,
});
export type DevConfig = Static<typeof DevConfigSchema>;

/** Limits of the development configuration upload (the key file's: PRIVATE_KEY_MAX_BYTES in constants.ts). */
export const VIRTUAL_DOMAIN_MAX = 253;

export const MpaasAppSchema = Type.Object({
  appId: Type.String(),
  appName: Type.String(),
  tenantId: Type.String(),
  appDesc: Type.Optional(Type.String()),
});
export type MpaasApp = Static<typeof MpaasAppSchema>;
export const MpaasAppListSchema = Type.Object({ apps: Type.Array(MpaasAppSchema) });
export type MpaasAppList = Static<typeof MpaasAppListSchema>;

export const MpaasWorkspaceSchema = Type.Object({
  workspaceId: Type.String(),
  displayName: Type.String(),
  tenantId: Type.String(),
});
export type MpaasWorkspace = Static<typeof MpaasWorkspaceSchema>;
export const MpaasWorkspaceListSchema = Type.Object({ workspaces: Type.Array(MpaasWorkspaceSchema) });
export type MpaasWorkspaceList = Static<typeof MpaasWorkspaceListSchema>;

export const SyncHostAppBodySchema = Type.Object(
  {
    appId: Type.String({ pattern: APP_ID_PATTERN }),
    workspaceId: Type.String({ pattern: WORKSPACE_ID_PATTERN }),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: `the name in mpop, 1..${NAME_MAX} characters after trimming; default: the mPaaS app name (another when that one is taken in the workspace)`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type SyncHostAppBody = Static<typeof SyncHostAppBodySchema>;
