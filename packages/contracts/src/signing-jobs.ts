import { type Static, Type } from 'typebox';
import { TimestampSchema } from './common.js';

/**
 * Making the package signatures that host apps get, after a release, an authorisation or a key upload. Small
 * fan-outs finish before the change answers; large ones run in the background and are followed here.
 */
/** What starts a signing job; `reasonParams` names its specifics (mini program, version, host app, user). */
export const SigningReasonCodes = [
  'release',
  'rollout',
  'roll-back',
  'authorise',
  'approve-association',
  'key-uploaded',
  'start-up',
  'retry',
] as const;
export type SigningReasonCode = (typeof SigningReasonCodes)[number];

export const SigningJobSchema = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  reason: Type.String({ description: 'what started it, in English, e.g. `release 1234567890123456 1.0.0.1`' }),
  reasonCode: Type.Union(
    [
      Type.Literal('release'),
      Type.Literal('rollout'),
      Type.Literal('roll-back'),
      Type.Literal('authorise'),
      Type.Literal('approve-association'),
      Type.Literal('key-uploaded'),
      Type.Literal('start-up'),
      Type.Literal('retry'),
    ],
    { description: 'what started it, for clients that say it in their own language' },
  ),
  reasonParams: Type.Record(Type.String(), Type.String(), {
    description: 'its specifics: miniProgramId, version, appId, workspaceId, username (as the code needs)',
  }),
  total: Type.Integer({ description: 'signatures to make' }),
  done: Type.Integer({ description: 'signatures made so far' }),
  startedAt: TimestampSchema,
  finishedAt: Type.Union([TimestampSchema, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()], { description: 'why it failed, in a sentence; never key material' }),
});
export type SigningJob = Static<typeof SigningJobSchema>;
export const SigningJobListSchema = Type.Object({ items: Type.Array(SigningJobSchema) });
export type SigningJobList = Static<typeof SigningJobListSchema>;
