import type { Autopilot, AutopilotConfig, AutopilotDecision, AutopilotDecisionRecord } from '@mpop/contracts';
import { validationFailed } from '../../lib/app-error.js';
import { FULL, toBp } from './rollout.js';

/**
 * The autopilot of a release, the part that needs no database: the rules of its configuration, what it decides from
 * the figures of a step, and how it is stored (the `releases.autopilot` JSON). The loop that applies the decisions
 * is modules/autopilot; it goes through the release operations, so a decision changes the gate as a person's would.
 */

/** What is stored: the configuration, where the autopilot is (the step, since when), and every decision taken. */
export interface StoredAutopilot extends AutopilotConfig {
  status: {
    step: number;
    since: string;
    decision: AutopilotDecision;
    reason: string;
    /** The figures of the last decision (the live ones of a running step are read when the release is shown). */
    devices: number;
    failures: number;
    failureRate: number;
  };
  decisions: AutopilotDecisionRecord[];
}

/** Distinct devices of one step: served the new version and reported launching it / failing with it, since it began. */
export interface StepFigures {
  launched: number;
  failed: number;
  /** Reported either (a device that did both counts once). */
  reported: number;
}

export const NO_FIGURES: StepFigures = { launched: 0, failed: 0, reported: 0 };

/** The most decisions kept on a release (one per step, and a few for resumptions): the history stays bounded. */
const MAX_DECISIONS = 50;

/** Checks what the schema cannot: the steps rise and end at 100. */
export function checkAutopilot(a: AutopilotConfig, path = 'autopilot'): void {
  const bps = a.steps.map(toBp);
  for (const [i, bp] of bps.entries()) {
    if (bp <= 0) throw validationFailed(`${path}.steps.${i}`, 'Each step must be above 0 % (0.01 % at least).');
    if (i > 0 && bp <= bps[i - 1]) {
      throw validationFailed(`${path}.steps.${i}`, 'The steps must rise: each percent above the one before it (e.g. 1, 10, 50, 100).');
    }
  }
  if (bps.at(-1) !== FULL) {
    throw validationFailed(`${path}.steps.${bps.length - 1}`, 'The last step must be 100, so that the release reaches every device.');
  }
}

/** The step a rollout at `bp` is in: the last whose percent it has reached, or -1 below the first. */
export function stepAt(a: AutopilotConfig, bp: number): number {
  let step = -1;
  for (const [i, p] of a.steps.entries()) if (toBp(p) <= bp) step = i;
  return step;
}

/** A new autopilot, in step `step` from `now`. */
export function startAutopilot(config: AutopilotConfig, step: number, now: number, reason: string): StoredAutopilot {
  const { steps, minMinutes, minDevices, maxFailureRate, onFailure } = config;
  return {
    steps,
    minMinutes,
    minDevices,
    maxFailureRate,
    onFailure,
    status: { step, since: new Date(now).toISOString(), decision: 'waiting', reason, devices: 0, failures: 0, failureRate: 0 },
    decisions: [],
  };
}

export const parseAutopilot = (json: string | null): StoredAutopilot | null =>
  json === null ? null : (JSON.parse(json) as StoredAutopilot);

/** failure ÷ (launch + failure), distinct devices; 0 when nobody reported. Rounded to 4 decimals. */
export function failureRate(f: StepFigures): number {
  const n = f.launched + f.failed;
  return n === 0 ? 0 : Math.round((f.failed / n) * 10_000) / 10_000;
}

export type Verdict =
  | { kind: 'wait'; reason: string }
  | { kind: 'advance'; toStep: number; reason: string }
  | { kind: 'stop'; decision: 'paused' | 'rolled-back'; reason: string };

const pct = (rate: number) => `${Math.round(rate * 10_000) / 100} %`;

/**
 * What the autopilot does now with a step's figures. Failures first, whatever the time: once `minDevices` devices
 * reported a launch or a failure, a failure rate above the limit stops the release. Otherwise it advances when the
 * step has lasted `minMinutes` and `minDevices` devices launched the new version; else it waits.
 */
export function judge(a: StoredAutopilot, version: string, f: StepFigures, now: number): Verdict {
  const rate = failureRate(f);
  const at = a.steps[a.status.step];
  if (f.reported >= a.minDevices && rate > a.maxFailureRate) {
    const what = `${pct(rate)} of the devices that reported ${version} at ${at} % failed (${f.failed} failing, ${f.launched} launching), above the limit of ${pct(a.maxFailureRate)}`;
    return a.onFailure === 'rollback'
      ? { kind: 'stop', decision: 'rolled-back', reason: `${what}: rolled back.` }
      : { kind: 'stop', decision: 'paused', reason: `${what}: paused.` };
  }
  const waitedMs = now - Date.parse(a.status.since);
  const neededMs = a.minMinutes * 60_000;
  if (waitedMs < neededMs) {
    return {
      kind: 'wait',
      reason: `The step at ${at} % lasts ${a.minMinutes} minutes at least; ${Math.ceil((neededMs - waitedMs) / 60_000)} to go.`,
    };
  }
  if (f.launched < a.minDevices) {
    return { kind: 'wait', reason: `${f.launched} of the ${a.minDevices} devices needed have launched ${version} at ${at} %.` };
  }
  const toStep = a.status.step + 1;
  return {
    kind: 'advance',
    toStep,
    reason: `${f.launched} devices launched ${version} at ${at} % (at least ${a.minDevices}) and ${pct(rate)} failed (at most ${pct(a.maxFailureRate)}): moved to ${a.steps[toStep]} %.`,
  };
}

/** The autopilot after a decision: the decision recorded, and on an advance the next step begun. */
export function decided(
  a: StoredAutopilot,
  decision: Exclude<AutopilotDecision, 'waiting'>,
  reason: string,
  f: StepFigures,
  now: number,
  toStep = a.status.step,
): StoredAutopilot {
  const at = new Date(now).toISOString();
  const figures = { devices: f.launched, failures: f.failed, failureRate: failureRate(f) };
  const record: AutopilotDecisionRecord = {
    at,
    step: a.status.step,
    devices: figures.devices,
    failureRate: figures.failureRate,
    decision,
    reason,
  };
  return {
    ...a,
    status: { step: toStep, since: toStep === a.status.step ? a.status.since : at, decision, reason, ...figures },
    decisions: [...a.decisions, record].slice(-MAX_DECISIONS),
  };
}

/** A person moved the rollout (raised it, resumed it): the autopilot counts again from now, in the step it is in. */
export function restarted(a: StoredAutopilot, bp: number, now: number, reason: string): StoredAutopilot {
  return {
    ...a,
    status: { ...a.status, step: Math.max(0, stepAt(a, bp)), since: new Date(now).toISOString(), decision: 'waiting', reason },
  };
}

/** The autopilot as the API shows it: a running step with its live figures, an ended one as it was decided. */
export function shownAutopilot(a: StoredAutopilot, live: StepFigures | undefined): Autopilot {
  const s = a.status;
  const figures = live ? { devices: live.launched, failures: live.failed, failureRate: failureRate(live) } : s;
  return {
    steps: a.steps,
    minMinutes: a.minMinutes,
    minDevices: a.minDevices,
    maxFailureRate: a.maxFailureRate,
    onFailure: a.onFailure,
    status: {
      step: s.step,
      since: s.since,
      devices: figures.devices,
      failures: figures.failures,
      failureRate: figures.failureRate,
      decision: s.decision,
      reason: s.reason,
    },
    decisions: a.decisions,
  };
}
