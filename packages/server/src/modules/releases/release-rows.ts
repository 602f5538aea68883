import type { Release } from '@mpop/contracts';
import type { NewReleaseRow, ReleaseRow } from '../../db/schema.js';
import { AppError, validationFailed } from '../../lib/app-error.js';
import type { Principal } from '../auth/auth.service.js';
import { rampOf } from './rollout.js';
import type { VersionSigning } from './release.repository.js';
import { effectiveBp, effectiveState, FULL, type Step, toBp, toPercent } from './rollout.js';
import type { Scope } from './scope.js';
import { parseAutopilot, shownAutopilot, type StepFigures } from './autopilot.js';

/** How release rows are made and shown: the pieces of ReleaseService that need no database. */

/** Sorts the steps by time and checks that the ramp only goes up from the starting percent. */
export function normaliseSteps(raw: readonly { percent: number; at: string }[], startBp: number): Step[] {
  const steps = raw.map((s) => ({ bp: toBp(s.percent), at: Date.parse(s.at) })).sort((a, b) => a.at - b.at);
  let last = startBp;
  for (const [i, s] of steps.entries()) {
    if (Number.isNaN(s.at)) throw validationFailed(`rollout.steps.${i}.at`, 'Give the time as an ISO 8601 date-time.');
    if (s.bp < last) {
      throw validationFailed(
        `rollout.steps.${i}.percent`,
        'A step cannot lower the percent: each step must be at least the starting percent and the steps before it.',
      );
    }
    last = s.bp;
  }
  return steps;
}

export const stepsJson = (steps: readonly Step[]) =>
  JSON.stringify(steps.map((s) => ({ percent: toPercent(s.bp), at: new Date(s.at).toISOString() })));

/** Who released, as the history shows it; the column holds 128 characters (a long user name with a long token name). */
export const createdBy = (actor: Principal) => [...actor.actor].slice(0, 128).join('');

export const nothingToRollBackTo = (detail: string) => new AppError('NOTHING_TO_ROLL_BACK_TO', detail);

/** The row of a release of `version` to every device of its scope at once (a rollback's). */
export function completeRow(
  fields: { releaseId: string; miniProgramId: string; version: string; previousVersion: string | null; scope: Scope },
  actor: Principal,
  at: string,
): Omit<NewReleaseRow, 'id'> {
  return {
    releaseId: fields.releaseId,
    miniProgramId: fields.miniProgramId,
    version: fields.version,
    previousVersion: fields.previousVersion,
    state: 'complete',
    percentBp: FULL,
    steps: '[]',
    pausedAt: null,
    deviceCount: 0,
    hostApps: fields.scope && JSON.stringify(fields.scope),
    mandatory: 0,
    note: null,
    createdAt: at,
    createdBy: createdBy(actor),
    updatedAt: at,
  };
}

/**
 * A release as the API shows it. `live`: the figures of the running autopilot steps (by release ID); an autopilot
 * that ended shows those of its last decision.
 */
export function toRelease(
  r: ReleaseRow,
  signing: Map<string, VersionSigning>,
  now: number,
  live: ReadonlyMap<string, StepFigures> = new Map(),
): Release {
  const ramp = rampOf(r);
  const s = signing.get(r.version);
  const total = s?.total ?? 0;
  const done = s?.done ?? 0;
  return {
    releaseId: r.releaseId,
    miniProgramId: r.miniProgramId,
    version: r.version,
    previousVersion: r.previousVersion,
    state: effectiveState(ramp, now),
    percent: toPercent(effectiveBp(ramp, now)),
    steps: JSON.parse(r.steps),
    devices: Number(r.deviceCount),
    hostApps: r.hostApps === null ? null : JSON.parse(r.hostApps),
    mandatory: Boolean(r.mandatory),
    note: r.note,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    updatedAt: r.updatedAt,
    signing: {
      state: done >= total ? 'signed' : s?.failed ? 'failed' : 'pending',
      reason: done >= total ? null : (s?.reason ?? null),
      total,
      done,
    },
    autopilot: r.autopilot ? shownAutopilot(parseAutopilot(r.autopilot)!, live.get(r.releaseId)) : null,
  };
}
