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
  'prepare',
] as const;
export type SigningReasonCode = (typeof SigningReasonCodes)[number];

/** Why a signing job failed; `errorParams` names its specifics (appId, workspaceId, version, sha256). */
export const SigningFailureCodes = [
  'key-unusable',
  'key-cannot-sign',
  'package-altered',
  'package-missing',
  'sign-failed',
  'stopped',
] as const;
export type SigningFailureCode = (typeof SigningFailureCodes)[number];

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
      Type.Literal('prepare'),
    ],
    {
      description:
        'what started it, for clients that say it in their own language; prepare: a version that may be released (uploaded without review, or approved) signed ahead of its release',
    },
  ),
  reasonParams: Type.Record(Type.String(), Type.String(), {
    description: 'its specifics: miniProgramId, version, appId, workspaceId, username (as the code needs)',
  }),
  total: Type.Integer({ description: 'signatures to make' }),
  done: Type.Integer({ description: 'signatures made so far' }),
  startedAt: TimestampSchema,
  finishedAt: Type.Union([TimestampSchema, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()], { description: 'why it failed, in a sentence; never key material' }),
  errorCode: Type.Union(
    [
      Type.Literal('key-unusable'),
      Type.Literal('key-cannot-sign'),
      Type.Literal('package-altered'),
      Type.Literal('package-missing'),
      Type.Literal('sign-failed'),
      Type.Literal('stopped'),
      Type.Null(),
    ],
    {
      description:
        'why it failed, for clients that say it in their own language: key-unusable (the master key cannot open the host app key), key-cannot-sign, package-altered (the stored bytes lost their recorded SHA-256), package-missing, sign-failed (other; details in the server log), stopped',
    },
  ),
  errorParams: Type.Record(Type.String(), Type.String(), {
    description: 'the specifics of `errorCode`: appId, workspaceId, version, sha256 (as the code needs); empty when it did not fail',
  }),
});
export type SigningJob = Static<typeof SigningJobSchema>;
export const SigningJobListSchema = Type.Object({ items: Type.Array(SigningJobSchema) });
export type SigningJobList = Static<typeof SigningJobListSchema>;
