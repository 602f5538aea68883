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

/** The most steps an autopilot may take. */
export const MAX_AUTOPILOT_STEPS = 10;
/** The longest an autopilot step may be held before it may advance: 30 days, in minutes. */
export const MAX_AUTOPILOT_MINUTES = 43_200;

export const AutopilotDecisions = ['waiting', 'advanced', 'completed', 'paused', 'rolled-back'] as const;
export type AutopilotDecision = (typeof AutopilotDecisions)[number];
const AutopilotDecisionSchema = Type.Union(
  [Type.Literal('waiting'), Type.Literal('advanced'), Type.Literal('completed'), Type.Literal('paused'), Type.Literal('rolled-back')],
  {
    description:
      'waiting: no decision yet; advanced: moved to the next step; completed: moved to 100 %; paused / rolled-back: the failure rate went over the limit',
  },
);

/** How a release steers itself: rising steps, each held until enough devices launched it without too many failures. */
export const AutopilotConfigSchema = Type.Object(
  {
    steps: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 100 }), {
      minItems: 1,
      maxItems: MAX_AUTOPILOT_STEPS,
      description: 'rising percents, the last one 100 (e.g. [1, 10, 50, 100]); the release starts at the first',
    }),
    minMinutes: Type.Number({
      minimum: 0,
      maximum: MAX_AUTOPILOT_MINUTES,
      description: 'how long each step lasts at least before the next one (0: as soon as enough devices launched it)',
    }),
    minDevices: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'distinct devices that must launch the new version within a step before it advances (and before failures are judged)',
    }),
    maxFailureRate: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'failure ÷ (launch + failure), distinct devices of the step, above which the autopilot stops the release',
    }),
    onFailure: Type.Union([Type.Literal('pause'), Type.Literal('rollback')], { description: 'what it does above the failure rate' }),
  },
  { additionalProperties: false },
);
export type AutopilotConfig = Static<typeof AutopilotConfigSchema>;

const AutopilotFiguresSchema = {
  step: Type.Integer({ minimum: 0, description: 'the index of the current step in `steps` (0: the first)' }),
  devices: Type.Integer({ description: 'distinct devices served the new version that reported launching it within the step' }),
  failureRate: Type.Number({ minimum: 0, maximum: 1, description: 'failure ÷ (launch + failure) within the step (0 with no report)' }),
  decision: AutopilotDecisionSchema,
  reason: Type.String({ description: 'why, in a sentence' }),
};

export const AutopilotDecisionRecordSchema = Type.Object({ at: TimestampSchema, ...AutopilotFiguresSchema });
export type AutopilotDecisionRecord = Static<typeof AutopilotDecisionRecordSchema>;

export const AutopilotStatusSchema = Type.Object({
  ...AutopilotFiguresSchema,
  since: Type.String({ format: 'date-time', description: 'when the current step began' }),
  failures: Type.Integer({ description: 'distinct devices that reported a failure of the new version within the step' }),
});
export type AutopilotStatus = Static<typeof AutopilotStatusSchema>;

export const AutopilotSchema = Type.Object({
  ...AutopilotConfigSchema.properties,
  status: AutopilotStatusSchema,
  decisions: Type.Array(AutopilotDecisionRecordSchema, { description: 'every decision taken, oldest first' }),
});
export type Autopilot = Static<typeof AutopilotSchema>;

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
  autopilot: Type.Union([AutopilotSchema, Type.Null()], { description: 'how the release steers itself; null: by hand' }),
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
    autopilot: Type.Optional(AutopilotConfigSchema),
  },
  { additionalProperties: false },
);
export type ReleaseBody = Static<typeof ReleaseBodySchema>;

export const PatchReleaseBodySchema = Type.Object(
  {
    percent: Type.Optional(PercentSchema),
    paused: Type.Optional(Type.Boolean()),
    autopilot: Type.Optional(
      Type.Union([AutopilotConfigSchema, Type.Null()], {
        description: 'hand the rollout to the autopilot from its current percent on (null: steer it by hand again)',
      }),
    ),
  },
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
