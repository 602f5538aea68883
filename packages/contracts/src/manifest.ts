import { Type, type Static } from 'typebox';
import { TimestampSchema } from './common.js';
import { WORKSPACE_ID_PATTERN } from './constants.js';
import { APP_ID_PATTERN } from './host-apps.js';

/** The `type` of every manifest this version signs. */
export const MANIFEST_TYPE = 'mpop-manifest-v1';
/** `MPOP_MANIFEST_TTL_HOURS`: how long a signed manifest is valid (its default and bounds). */
export const MANIFEST_TTL_HOURS = { default: 24, min: 1, max: 720 } as const;
/** Clock skew a client allows when it checks `expiresAt`. */
export const MANIFEST_CLOCK_SKEW_MS = 5 * 60_000;

/** One resource as the manifest names it: what the signature vouches for, field by field equal to the answer's. */
export const ManifestEntrySchema = Type.Object({
  miniProgramId: Type.String(),
  version: Type.String(),
  sha256: Type.String(),
  size: Type.Integer(),
  mandatory: Type.Boolean(),
  packageUrl: Type.String(),
  mainUrl: Type.String(),
  vhost: Type.String(),
});
export type ManifestEntry = Static<typeof ManifestEntrySchema>;

/**
 * The signed content of a gate answer, as the JSON text in `manifest` holds it (in this key order). It names exactly
 * the resources of the answer, the host app, a generation that never goes down for that host app, a validity window,
 * and the host app's keys an operator retired ahead of time (`revokedKeys`: clients refuse their signatures from then
 * on).
 */
export const ManifestSchema = Type.Object({
  type: Type.Literal(MANIFEST_TYPE),
  appId: Type.String(),
  workspaceId: Type.String(),
  generation: Type.Integer({ description: 'never goes down for this host app; a client refuses a manifest below the highest it accepted' }),
  issuedAt: TimestampSchema,
  expiresAt: TimestampSchema,
  resources: Type.Array(ManifestEntrySchema),
  revokedKeys: Type.Array(Type.String({ description: 'fingerprintSha256 of a retired key' })),
});
export type Manifest = Static<typeof ManifestSchema>;

/** A key of a host app replaced by a newer upload; `revokedAt` once an operator retired it at once. */
export const PreviousKeySchema = Type.Object({
  fingerprintSha256: Type.String(),
  replacedAt: TimestampSchema,
  revokedAt: Type.Union([TimestampSchema, Type.Null()], {
    description: 'when an operator retired it; from then on manifests name it in revokedKeys and clients refuse its signatures',
  }),
});
export type PreviousKey = Static<typeof PreviousKeySchema>;

/** What the console shows of a host app's signed answers: generation, manifest lifetime, keys. */
export const ManifestInfoSchema = Type.Object({
  generation: Type.Integer({ description: 'the generation the next manifest of this host app carries' }),
  manifestTtlHours: Type.Integer({ description: 'MPOP_MANIFEST_TTL_HOURS: how long a signed manifest is valid' }),
  keyFingerprint: Type.Union([Type.String(), Type.Null()], {
    description: 'the key that signs now; null before the development configuration',
  }),
  previousKeys: Type.Array(PreviousKeySchema, { description: 'replaced keys still listed or retired, newest first' }),
});
export type ManifestInfo = Static<typeof ManifestInfoSchema>;

export const PreviousKeyParamsSchema = Type.Object({
  workspaceId: Type.String({ pattern: WORKSPACE_ID_PATTERN }),
  appId: Type.String({ pattern: APP_ID_PATTERN }),
  fingerprint: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});
