import { type Static, Type } from 'typebox';
import { TimestampSchema } from './common.js';

/**
 * Patches: instead of a whole package, a device that names the version it has may download the difference between
 * that version's package and the one it is served, and rebuild the new package from the two.
 */

/**
 * The patch formats the server makes: mpop-patch-v1 (a header, then one fossil delta, the Fossil SCM delta
 * encoding, per chunk of the new package; docs/host-app-teams.md describes it).
 */
export const PATCH_FORMATS = ['mpop-patch-v1'] as const;
export type PatchFormat = (typeof PATCH_FORMATS)[number];

/** How many earlier released versions a new release gets patches from. */
export const PATCH_FROM_VERSIONS = 3;

/** A patch offered with a resource of `POST /client/v1/resources`, when the device named a version it has. */
export const ResourcePatchSchema = Type.Object(
  {
    fromVersion: Type.String({ description: 'the version the device named, which the patch applies to' }),
    fromSha256: Type.String({ description: 'hex SHA-256 of that version’s package: apply the patch only to these bytes' }),
    format: Type.Literal('mpop-patch-v1'),
    url: Type.String({ description: 'where the patch bytes are (content-addressed, immutable)' }),
    sha256: Type.String({ description: 'hex SHA-256 of the patch bytes' }),
    size: Type.Integer({ description: 'bytes of the patch' }),
  },
  {
    description:
      'A patch from the version the device has to this one. Applied to bytes whose SHA-256 is fromSha256, it gives exactly the package (sha256, size, signatures of the resource); on any failure download packageUrl instead.',
  },
);
export type ResourcePatch = Static<typeof ResourcePatchSchema>;

export const PatchJobStatuses = ['queued', 'running', 'done', 'skipped', 'failed'] as const;
export type PatchJobStatus = (typeof PatchJobStatuses)[number];

/** Why a patch was not kept or not made; the console says it in the user's language. */
export const PatchNoteCodes = ['too-large', 'not-smaller', 'missing', 'altered', 'failed'] as const;
export type PatchNoteCode = (typeof PatchNoteCodes)[number];

export const PatchJobSchema = Type.Object({
  id: Type.Integer(),
  miniProgramId: Type.String(),
  fromVersion: Type.String(),
  toVersion: Type.String(),
  format: Type.Literal('mpop-patch-v1'),
  status: Type.Union(
    [Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('skipped'), Type.Literal('failed')],
    {
      description:
        'queued, running; done (the patch is kept and offered); skipped (not kept: not smaller than half the package, or a package above MPOP_PATCH_MAX_BYTES); failed (a warning: devices download the full package)',
    },
  ),
  fullSize: Type.Union([Type.Integer(), Type.Null()], { description: 'bytes of the package of toVersion' }),
  size: Type.Union([Type.Integer(), Type.Null()], { description: 'bytes of the patch, once made' }),
  sha256: Type.Union([Type.String(), Type.Null()], { description: 'hex SHA-256 of the patch, when kept' }),
  noteCode: Type.Union([
    Type.Literal('too-large'),
    Type.Literal('not-smaller'),
    Type.Literal('missing'),
    Type.Literal('altered'),
    Type.Literal('failed'),
    Type.Null(),
  ]),
  note: Type.Union([Type.String(), Type.Null()], { description: 'why it was skipped or failed, in a sentence' }),
  attempts: Type.Integer(),
  createdAt: TimestampSchema,
  finishedAt: Type.Union([TimestampSchema, Type.Null()]),
});
export type PatchJob = Static<typeof PatchJobSchema>;
export const PatchJobListSchema = Type.Object({ items: Type.Array(PatchJobSchema) });
export type PatchJobList = Static<typeof PatchJobListSchema>;

export const PatchJobQuerySchema = Type.Object({
  miniProgramId: Type.Optional(Type.String({ pattern: '^([0-9]{16})?$' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export type PatchJobQuery = Static<typeof PatchJobQuerySchema>;

/** What a download event may say about how the package came (`detail` of a `download` event). */
export const DownloadDetailSchema = Type.Object(
  {
    patch: Type.Boolean({ description: 'whether the package was rebuilt from a patch' }),
    bytesSaved: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 4 * 1024 ** 3, description: 'package size minus patch size, when a patch was used' }),
    ),
  },
  { additionalProperties: false },
);
export type DownloadDetail = Static<typeof DownloadDetailSchema>;

export const PatchSavingsSchema = Type.Object({
  downloads: Type.Integer({ description: 'downloads rebuilt from a patch' }),
  bytesSaved: Type.Integer({ description: 'bytes those downloads did not transfer (package size minus patch size, summed)' }),
});
export type PatchSavings = Static<typeof PatchSavingsSchema>;
