import type { PatchReleaseBody, ReleaseBody } from '@mpop/contracts';
import type { ReleaseRow } from '../../db/schema.js';
import type { Executor } from '../../db/executor.js';
import { validationFailed } from '../../lib/app-error.js';
import type { Principal } from '../auth/auth.service.js';
import { AutopilotRepository } from './autopilot.repository.js';
import { checkAutopilot, parseAutopilot, restarted, startAutopilot, stepAt, type StepFigures } from './autopilot.js';
import { toBp, toPercent } from './rollout.js';

// How the releases are steered by their autopilot (autopilot.ts holds its rules, modules/autopilot its evaluation):
// its decisions applied by ReleaseService's operations, its state after a person's change, its checks on a new
// release, and its live figures in the answers.

/**
 * A decision of the autopilot, applied by a release operation inside its transaction (after the mini program's lock),
 * so that it changes the gate exactly as a person's would and is taken once: `holds` says whether the release is
 * still as the autopilot judged it (another instance may have decided meanwhile, or a person acted); when it does
 * not, the operation throws StaleDecision and changes nothing.
 */
export interface Steer {
  holds(row: ReleaseRow): boolean;
  /** The `releases.autopilot` JSON after the decision. */
  autopilot: string;
  /** Why, for the audit event and the webhook. */
  reason: string;
}

/** The release changed between the autopilot's judgement and its decision: nothing was done. */
export class StaleDecision extends Error {
  constructor() {
    super('the release changed since the autopilot judged it');
  }
}

/**
 * The autopilot after a person's change (undefined: unchanged): handed over (from the step the rollout is in),
 * taken back (null), or, when the person raised or resumed the rollout, counting again from now.
 */
export function steeredBy(
  stored: string | null,
  body: PatchReleaseBody,
  moved: { from: number; bp: number; resumed: boolean },
  actor: Principal,
  now: number,
): string | null | undefined {
  if (body.autopilot === null) return null;
  if (body.autopilot) {
    const step = Math.max(0, stepAt(body.autopilot, moved.bp));
    return JSON.stringify(
      startAutopilot(body.autopilot, step, now, `Handed to the autopilot by ${actor.actor} at ${toPercent(moved.bp)} %.`),
    );
  }
  const a = parseAutopilot(stored);
  if (!a || (moved.bp <= moved.from && !moved.resumed)) return undefined;
  const what = moved.resumed ? 'Resumed' : `Raised to ${toPercent(moved.bp)} %`;
  return JSON.stringify(restarted(a, moved.bp, now, `${what} by ${actor.actor}: the step counts devices from now.`));
}

/** An autopilot on a new release: its steps rise to 100, it starts at the first, and hand-set steps are not mixed in. */
export function checkAutopilotRelease(body: ReleaseBody) {
  const a = body.autopilot!;
  checkAutopilot(a);
  if (body.rollout?.steps?.length) {
    throw validationFailed('rollout.steps', 'A release follows either scheduled steps or an autopilot; leave out one of them.');
  }
  if (body.rollout && toBp(body.rollout.percent) !== toBp(a.steps[0])) {
    throw validationFailed(
      'rollout.percent',
      `With an autopilot the release starts at its first step, ${a.steps[0]} %; give that percent or leave it out.`,
    );
  }
}

/** The figures of the running autopilot steps among these releases (read live, so the console sees them move). */
export async function liveFigures(db: Executor, rows: readonly ReleaseRow[]): Promise<Map<string, StepFigures>> {
  const live = new Map<string, StepFigures>();
  const repo = new AutopilotRepository(db);
  for (const r of rows) {
    const a = parseAutopilot(r.autopilot);
    if (a && (r.state === 'rolling-out' || r.state === 'paused')) live.set(r.releaseId, await repo.figures(r.releaseId, a.status.since));
  }
  return live;
}
