import { type Static, Type } from 'typebox';
import { TimestampSchema } from './common.js';
import { PACKAGE_VERSION_PATTERN } from './constants.js';
import { DEVICE_ID_PATTERN, MINI_PROGRAM_ID_PATTERN } from './mini-programs.js';

/** The most device IDs one release may whitelist. */
export const MAX_WHITELIST_DEVICES = 100_000;
export const MAX_ROLLOUT_STEPS = 20;
export const MAX_RELEASE_NOTE = 500;

export const ReleaseStates = ['rolling-out', 'paused', 'complete', 'rolled-back', 'superseded', 'taken-down'] as const;
export type ReleaseState = (typeof ReleaseStates)[number];
export const ReleaseStateSchema = Type.Union([
  Type.Literal('rolling-out'),
  Type.Literal('paused'),
  Type.Literal('complete'),
  Type.Literal('rolled-back'),
  Type.Literal('superseded'),
  Type.Literal('taken-down'),
]);

const PercentSchema = Type.Number({ minimum: 0, maximum: 100, description: 'share of devices, 0..100 (two decimals at most count)' });

export const RolloutStepSchema = Type.Object(
  { percent: PercentSchema, at: Type.String({ format: 'date-time', description: 'when this percent takes effect (ISO 8601)' }) },
  { additionalProperties: false },
);
export type RolloutStep = Static<typeof RolloutStepSchema>;

export const HostAppRefSchema = Type.Object(
  { workspaceId: Type.String({ minLength: 1, maxLength: 64 }), appId: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export type HostAppRef = Static<typeof HostAppRefSchema>;

/** How far signing of a release's version has come for the host apps that may get it. */
export const ReleaseSigningSchema = Type.Object({
  state: Type.Union([Type.Literal('pending'), Type.Literal('signed'), Type.Literal('failed')], {
    description:
      'pending: some host apps still lack a signature (they keep getting the previous version); signed: every authorised, configured host app has one; failed: signing failed for some (reason says why)',
  }),
  reason: Type.Union([Type.String(), Type.Null()]),
  /** Authorised, configured host apps that need a signature of this version. */
  total: Type.Integer(),
  /** Of those, how many have one. */
  done: Type.Integer(),
});
export type ReleaseSigning = Static<typeof ReleaseSigningSchema>;

export const ReleaseSchema = Type.Object({
  releaseId: Type.String(),
  miniProgramId: Type.String(),
  version: Type.String(),
  previousVersion: Type.Union([Type.String(), Type.Null()], { description: 'what devices outside the rollout keep getting' }),
  state: ReleaseStateSchema,
  percent: Type.Number({ description: 'the share of devices that get `version` now (steps applied)' }),
  steps: Type.Array(RolloutStepSchema),
  devices: Type.Integer({ description: 'how many device IDs are whitelisted' }),
  hostApps: Type.Union([Type.Array(HostAppRefSchema), Type.Null()], { description: 'null = every authorised host app' }),
  mandatory: Type.Boolean(),
  note: Type.Union([Type.String(), Type.Null()]),
  createdAt: TimestampSchema,
  createdBy: Type.String(),
  updatedAt: TimestampSchema,
  signing: ReleaseSigningSchema,
});
export type Release = Static<typeof ReleaseSchema>;
export const ReleaseListSchema = Type.Object({ items: Type.Array(ReleaseSchema) });
export type ReleaseList = Static<typeof ReleaseListSchema>;

export const ReleaseBodySchema = Type.Object(
  {
    rollout: Type.Optional(
      Type.Object(
        {
          percent: PercentSchema,
          steps: Type.Optional(Type.Array(RolloutStepSchema, { maxItems: MAX_ROLLOUT_STEPS })),
          devices: Type.Optional(
            Type.Array(Type.String({ pattern: DEVICE_ID_PATTERN }), {
              maxItems: MAX_WHITELIST_DEVICES,
              description: 'device IDs that get the version whatever the percent',
            }),
          ),
          hostApps: Type.Optional(Type.Array(HostAppRefSchema, { minItems: 1, maxItems: 1000 })),
        },
        { additionalProperties: false },
      ),
    ),
    mandatory: Type.Optional(Type.Boolean()),
    note: Type.Optional(Type.String({ maxLength: MAX_RELEASE_NOTE })),
  },
  { additionalProperties: false },
);
export type ReleaseBody = Static<typeof ReleaseBodySchema>;

export const PatchReleaseBodySchema = Type.Object(
  { percent: Type.Optional(PercentSchema), paused: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchReleaseBody = Static<typeof PatchReleaseBodySchema>;

export const RollbackBodySchema = Type.Object(
  { version: Type.Optional(Type.String({ pattern: PACKAGE_VERSION_PATTERN })) },
  { additionalProperties: false },
);
export type RollbackBody = Static<typeof RollbackBodySchema>;

export const ReleaseParamsSchema = Type.Object({
  id: Type.String({ pattern: MINI_PROGRAM_ID_PATTERN }),
  releaseId: Type.String({ minLength: 1, maxLength: 64 }),
});
