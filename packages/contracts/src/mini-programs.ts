import { Type, type Static } from 'typebox';
import { TimestampSchema } from './common.js';
import { NAME_MAX, ORG_ID_PATTERN, PACKAGE_VERSION_PATTERN } from './constants.js';
import { OrgIdSchema } from './auth.js';
import { ReviewSchema } from './reviews.js';
import { PackageReleaseKeySchema } from './release-keys.js';
import { ResourcePatchSchema } from './patches.js';

export const MINI_PROGRAM_ID_PATTERN = '^[0-9]{16}$';
export const CLIENT_VERSION_PATTERN = '^[0-9]{1,9}(\\.[0-9]{1,9}){0,3}$';
/** A device ID as host apps send it in the client API and operators list it in a release's whitelist. */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
export const Platforms = ['android', 'ios', 'harmony'] as const;
export type Platform = (typeof Platforms)[number];
export const PlatformSchema = Type.Union([Type.Literal('android'), Type.Literal('ios'), Type.Literal('harmony')]);

/** A rollout still under way: part of the devices get `version`, the rest keep `previousVersion` (or nothing). */
export const MiniProgramRolloutSchema = Type.Object({
  version: Type.String(),
  percent: Type.Number({ description: 'the share of devices that get `version` now (steps applied)' }),
  state: Type.Union([Type.Literal('rolling-out'), Type.Literal('paused')]),
  previousVersion: Type.Union([Type.String(), Type.Null()], { description: 'what devices outside the rollout keep getting' }),
});
export type MiniProgramRollout = Static<typeof MiniProgramRolloutSchema>;

export const MiniProgramSchema = Type.Object({
  miniProgramId: Type.String(),
  name: Type.String(),
  /** The organisation it belongs to (`platform` for those made before organisations existed). */
  orgId: Type.String(),
  releasedVersion: Type.Union([Type.String(), Type.Null()], {
    description: 'the version of the current release (during a rollout, the one rolling out); null when none is released',
  }),
  rollout: Type.Union([MiniProgramRolloutSchema, Type.Null()], {
    description: 'set while the current release reaches only part of the devices; null when it reaches all (or none is released)',
  }),
  authorizedHostApps: Type.Integer({
    description: 'how many host apps this mini program is authorised for; 0: a release reaches no device',
  }),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
});
export type MiniProgram = Static<typeof MiniProgramSchema>;
export const MiniProgramListSchema = Type.Object({
  items: Type.Array(MiniProgramSchema),
  total: Type.Integer({ description: 'how many mini programs the list (and its query) holds' }),
});
/** `GET /api/v1/mini-programs`: members see their organisations' only; `orgId` narrows to one. */
export const MiniProgramListQuerySchema = Type.Object({
  orgId: Type.Optional(OrgIdSchema),
  query: Type.Optional(
    Type.String({
      maxLength: 128,
      description: 'a part of the name (ignoring case and look-alike forms), or an exact mini program ID',
    }),
  ),
});
export type MiniProgramListQuery = Static<typeof MiniProgramListQuerySchema>;

export const CreateMiniProgramBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: `1..${NAME_MAX} characters after trimming` }),
    miniProgramId: Type.Optional(
      Type.String({ pattern: MINI_PROGRAM_ID_PATTERN, description: '16 digits, not starting with 666 or 20000' }),
    ),
    orgId: Type.Optional(
      Type.String({
        pattern: ORG_ID_PATTERN,
        description:
          'the organisation it belongs to; left out: `platform` for admins and operators, the only organisation of a member of one',
      }),
    ),
  },
  { additionalProperties: false },
);

export const MiniProgramParamsSchema = Type.Object({ id: Type.String({ pattern: MINI_PROGRAM_ID_PATTERN }) });
export const PackageParamsSchema = Type.Object({
  id: Type.String({ pattern: MINI_PROGRAM_ID_PATTERN }),
  version: Type.String({ pattern: PACKAGE_VERSION_PATTERN }),
});

export const PackageStatusSchema = Type.Union([Type.Literal('uploaded'), Type.Literal('released')]);
export const PackageSchema = Type.Object({
  version: Type.String(),
  sha256: Type.String(),
  size: Type.Integer(),
  mainUrl: Type.String(),
  status: PackageStatusSchema,
  platform: Type.Union([PlatformSchema, Type.Null()]),
  clientVersionMin: Type.Union([Type.String(), Type.Null()]),
  clientVersionMax: Type.Union([Type.String(), Type.Null()]),
  createdAt: TimestampSchema,
  /** Its review, with the automatic checks made at upload and the change since the version released last. */
  review: ReviewSchema,
  /** The release key whose signature was checked at upload, or null when the version carries no release signature. */
  releaseKey: Type.Union([PackageReleaseKeySchema, Type.Null()]),
});
export type Package = Static<typeof PackageSchema>;
export const PackageListSchema = Type.Object({ items: Type.Array(PackageSchema) });

export const AuthorizedMiniProgramSchema = Type.Object({
  miniProgramId: Type.String(),
  name: Type.String(),
  releasedVersion: Type.Union([Type.String(), Type.Null()]),
  authorizedAt: TimestampSchema,
});
export const AuthorizedMiniProgramListSchema = Type.Object({ items: Type.Array(AuthorizedMiniProgramSchema) });
export type AuthorizedMiniProgram = Static<typeof AuthorizedMiniProgramSchema>;

export const ResourcesRequestSchema = Type.Object(
  {
    appId: Type.String({ minLength: 1, maxLength: 64 }),
    workspaceId: Type.String({ minLength: 1, maxLength: 64 }),
    platform: PlatformSchema,
    clientVersion: Type.String({ pattern: CLIENT_VERSION_PATTERN }),
    deviceId: Type.Optional(
      Type.String({
        pattern: DEVICE_ID_PATTERN,
        description:
          'a stable ID of the device; during a gray release it decides whether the device gets the new version; rate limits count per device',
      }),
    ),
    // Keys must be mini program IDs: without additionalProperties:false a pattern record lets any key through.
    miniPrograms: Type.Record(Type.String({ pattern: MINI_PROGRAM_ID_PATTERN }), Type.String({ maxLength: 32 }), {
      maxProperties: 500,
      additionalProperties: false,
      description: 'mini program ID → the version the client has, or "*"; an empty object asks for every authorised mini program',
    }),
  },
  { additionalProperties: false },
);
export type ResourcesRequest = Static<typeof ResourcesRequestSchema>;

export const ResourceSchema = Type.Object({
  miniProgramId: Type.String(),
  version: Type.String(),
  packageUrl: Type.String(),
  sha256: Type.String(),
  size: Type.Integer(),
  signature: Type.String({ description: 'base64 RSASSA-PKCS1-v1_5 SHA-256 over the package bytes' }),
  bindingSignature: Type.String({
    description:
      'base64 RSASSA-PKCS1-v1_5 SHA-256, with the same key, over the UTF-8 text "mpop-binding-v1\\n<workspaceId>\\n<appId>\\n<miniProgramId>\\n<version>\\n<sha256>" (no trailing newline)',
  }),
  keyFingerprint: Type.String(),
  vhost: Type.String(),
  mainUrl: Type.String(),
  mandatory: Type.Boolean({ description: 'the client must update to this version before opening the mini program' }),
  releaseSignature: Type.Optional(
    Type.String({
      description:
        'present when the package was uploaded with one: base64 signature by the organisation\'s release key over the UTF-8 text "mpop-release-v1\\n<miniProgramId>\\n<version>\\n<sha256>"',
    }),
  ),
  releaseKeyFingerprint: Type.Optional(
    Type.String({
      description: "the fingerprintSha256 of the release key that made releaseSignature (listed in the config file's releaseKeys)",
    }),
  ),
  patch: Type.Optional(ResourcePatchSchema),
});
export type Resource = Static<typeof ResourceSchema>;
export const ResourcesResponseSchema = Type.Object({
  resources: Type.Array(ResourceSchema),
  manifest: Type.String({
    description:
      'JSON text of the signed manifest: { type: "mpop-manifest-v1", appId, workspaceId, generation, issuedAt, expiresAt, resources: [{ miniProgramId, version, sha256, size, mandatory, packageUrl, mainUrl, vhost }], revokedKeys: [fingerprint] }, naming exactly the resources of this answer, in order',
  }),
  manifestSignature: Type.String({
    description: "base64 RSASSA-PKCS1-v1_5 SHA-256 over the UTF-8 bytes of `manifest`, with the host app's key",
  }),
  keyFingerprint: Type.String({ description: 'fingerprintSha256 of the key that signed the manifest (and every package of the answer)' }),
});
