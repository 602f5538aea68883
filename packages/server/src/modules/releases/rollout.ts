import { createHash } from 'node:crypto';
import type { ReleaseState } from '../../db/schema.js';

/** Percent × 100: the unit of the cohort comparison (0..10000), so 0.01 % steps are exact integers. */
export const FULL = 10_000;

/** A step of a scheduled ramp, as the gate and the services use it: basis points and epoch milliseconds. */
export interface Step {
  bp: number;
  at: number;
}

/** What decides the effective percent of a release at a moment; every instance computes it from stored data. */
export interface Ramp {
  state: ReleaseState;
  /** The percent set at release, raise or pause (basis points). */
  bp: number;
  steps: readonly Step[];
  /** Epoch milliseconds when paused; the ramp is frozen at `bp` meanwhile. */
  pausedAt: number | null;
}

/**
 * The cohort of a device in a release: a stable hash of (releaseId, deviceId) into 0..9999. The device gets the
 * release's version when its cohort is below percent × 100, so raising the percent never moves a device back, and
 * every instance (and every restart) places it the same way. A new release draws new cohorts.
 */
export function cohort(releaseId: string, deviceId: string): number {
  const digest = createHash('sha256').update(releaseId).update('\n').update(deviceId).digest();
  // 48 bits modulo 10,000: the bias is below 10⁻¹⁰.
  return digest.readUIntBE(0, 6) % FULL;
}

/** The effective percent (basis points) at `now`: the set percent, raised by every step whose time has passed. */
export function effectiveBp(ramp: Ramp, now: number): number {
  if (ramp.state === 'complete') return FULL;
  if (ramp.state !== 'rolling-out' && ramp.state !== 'paused') return ramp.bp;
  let bp = ramp.bp;
  if (ramp.pausedAt === null) for (const s of ramp.steps) if (s.at <= now && s.bp > bp) bp = s.bp;
  return Math.min(bp, FULL);
}

/** The state at `now`: a rollout whose steps reached 100 % is complete, without anyone having to write it down. */
export function effectiveState(ramp: Ramp, now: number): ReleaseState {
  if ((ramp.state === 'rolling-out' || ramp.state === 'paused') && effectiveBp(ramp, now) >= FULL) return 'complete';
  return ramp.state;
}

/**
 * Whether scheduled steps changed the answer since `appliedAt` (epoch ms; null: never looked): the effective percent
 * at `now` is above the one at `appliedAt`. This is what the scheduled-steps job raises the generation for; a step
 * that does not raise the percent (the rollout was raised past it by hand), a paused ramp, or an ended release
 * changes nothing.
 */
export function stepsMoved(ramp: Ramp, appliedAt: number | null, now: number): boolean {
  if (ramp.state !== 'rolling-out' || ramp.pausedAt !== null) return false;
  return effectiveBp(ramp, now) > effectiveBp(ramp, appliedAt ?? Number.NEGATIVE_INFINITY);
}

/**
 * Resuming a paused ramp moves the steps still ahead of the pause by the time it lasted: the schedule is frozen,
 * not skipped, so a step due during the pause does not jump in at the moment of resuming.
 */
export function resumeSteps(steps: readonly Step[], pausedAt: number, now: number): Step[] {
  const shift = Math.max(0, now - pausedAt);
  return steps.map((s) => (s.at > pausedAt ? { bp: s.bp, at: s.at + shift } : s));
}

/** Percent (0..100, as in the API) to basis points, rounding to 0.01 %. */
export const toBp = (percent: number) => Math.round(percent * 100);
export const toPercent = (bp: number) => bp / 100;

/** A release row's ramp, in the units the rollout functions use. */
export function rampOf(r: { state: Ramp['state']; percentBp: number; steps: string; pausedAt: string | null }): Ramp {
  return {
    state: r.state,
    bp: Number(r.percentBp),
    steps: parseSteps(r.steps),
    pausedAt: r.pausedAt === null ? null : Date.parse(r.pausedAt),
  };
}

export const parseSteps = (json: string): Step[] =>
  (JSON.parse(json) as { percent: number; at: string }[]).map((s) => ({ bp: Math.round(s.percent * 100), at: Date.parse(s.at) }));
