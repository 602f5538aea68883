import { describe, expect, it } from 'vitest';
import type { AutopilotConfig } from '@mpop/contracts';
import type { AppError } from '../src/lib/app-error.js';
import {
  checkAutopilot,
  decided,
  failureRate,
  judge,
  NO_FIGURES,
  parseAutopilot,
  restarted,
  shownAutopilot,
  startAutopilot,
  type StepFigures,
  stepAt,
} from '../src/modules/releases/autopilot.js';

/**
 * The autopilot's rules at their edges (a controllable clock, no database): each limit is met exactly once, one
 * device or one minute short, and each decision keeps the figures and the reason a person reads.
 */

const MIN = 60_000;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const CONFIG: AutopilotConfig = { steps: [10, 50, 100], minMinutes: 30, minDevices: 20, maxFailureRate: 0.05, onFailure: 'pause' };
const figures = (launched: number, failed: number, both = 0): StepFigures => ({ launched, failed, reported: launched + failed - both });

const refusal = (steps: number[]) => {
  try {
    checkAutopilot({ ...CONFIG, steps }, 'body.autopilot');
    return undefined;
  } catch (err) {
    const e = err as AppError;
    return { code: e.code, path: e.errors?.[0]?.path, message: e.errors?.[0]?.message };
  }
};

describe('checkAutopilot', () => {
  it('refuses a step of 0 % (or one that rounds to 0), naming the step', () => {
    expect(refusal([0, 50, 100])).toEqual({
      code: 'VALIDATION_FAILED',
      path: 'body.autopilot.steps.0',
      message: 'Each step must be above 0 % (0.01 % at least).',
    });
    expect(refusal([0.004, 50, 100])?.path).toBe('body.autopilot.steps.0');
    expect(refusal([0.01, 50, 100])).toBeUndefined();
  });

  it('refuses steps that do not rise, and a last step other than 100, with the sentence to fix it', () => {
    expect(refusal([10, 10, 100])).toMatchObject({
      path: 'body.autopilot.steps.1',
      message: 'The steps must rise: each percent above the one before it (e.g. 1, 10, 50, 100).',
    });
    expect(refusal([10, 50, 99.99])).toMatchObject({
      path: 'body.autopilot.steps.2',
      message: 'The last step must be 100, so that the release reaches every device.',
    });
    expect(refusal([100])).toBeUndefined();
  });

  it("names the field under 'autopilot' by default", () => {
    expect(() => checkAutopilot({ ...CONFIG, steps: [50] })).toThrow(
      expect.objectContaining({ errors: [expect.objectContaining({ path: 'autopilot.steps.0' })] }),
    );
  });
});

describe('stepAt and restarted', () => {
  it('places a rollout in the last step whose percent it reached, -1 below the first', () => {
    expect(stepAt(CONFIG, 999)).toBe(-1);
    expect(stepAt(CONFIG, 1000)).toBe(0);
    expect(stepAt(CONFIG, 4999)).toBe(0);
    expect(stepAt(CONFIG, 5000)).toBe(1);
    expect(stepAt(CONFIG, 10_000)).toBe(2);
  });

  it('counts again from now in the step the rollout is in (step 0 below the first), waiting', () => {
    const a = decided(startAutopilot(CONFIG, 0, T0, 'released'), 'paused', 'too many failures', figures(10, 10), T0 + MIN);
    const r = restarted(a, 5000, T0 + 60 * MIN, 'resumed by alice');
    expect(r.status).toEqual({
      ...a.status,
      step: 1,
      since: new Date(T0 + 60 * MIN).toISOString(),
      decision: 'waiting',
      reason: 'resumed by alice',
    });
    expect(r.decisions).toEqual(a.decisions);
    expect(restarted(a, 1, T0, 'raised').status.step).toBe(0);
  });
});

describe('failureRate', () => {
  it('is failures over launches plus failures, rounded to 4 decimals, and 0 when nobody reported', () => {
    expect(failureRate(NO_FIGURES)).toBe(0);
    expect(failureRate(figures(2, 1))).toBe(0.3333);
    expect(failureRate(figures(0, 3))).toBe(1);
    expect(failureRate(figures(19999, 1))).toBe(0.0001);
  });
});

describe('judge at the limits', () => {
  const a = startAutopilot(CONFIG, 0, T0, 'released');

  it('waits while the step is a part of a minute short, saying how many minutes are left (rounded up)', () => {
    expect(judge(a, '2.0.0.0', figures(50, 0), T0 + 30 * MIN - 1)).toEqual({
      kind: 'wait',
      reason: 'The step at 10 % lasts 30 minutes at least; 1 to go.',
    });
    expect(judge(a, '2.0.0.0', figures(50, 0), T0 + 10.5 * MIN).reason).toContain('; 20 to go.');
  });

  it('waits one device short of minDevices, with the count in the reason', () => {
    expect(judge(a, '2.0.0.0', figures(19, 0), T0 + 30 * MIN)).toEqual({
      kind: 'wait',
      reason: '19 of the 20 devices needed have launched 2.0.0.0 at 10 %.',
    });
  });

  it('advances at exactly minMinutes and minDevices, to the next step, saying why', () => {
    expect(judge(a, '2.0.0.0', figures(20, 1), T0 + 30 * MIN)).toEqual({
      kind: 'advance',
      toStep: 1,
      reason: '20 devices launched 2.0.0.0 at 10 % (at least 20) and 4.76 % failed (at most 5 %): moved to 50 %.',
    });
  });

  it('judges failures once minDevices devices reported either, a device that did both counting once', () => {
    // 20 reported (one both launched and failed): judged, and 2 of 21 reports failed is above 5 %.
    expect(judge(a, '2.0.0.0', figures(19, 2, 1), T0)).toEqual({
      kind: 'stop',
      decision: 'paused',
      reason: '9.52 % of the devices that reported 2.0.0.0 at 10 % failed (2 failing, 19 launching), above the limit of 5 %: paused.',
    });
    // 19 reported: not judged yet.
    expect(judge(a, '2.0.0.0', figures(17, 3, 1), T0 + 30 * MIN).kind).toBe('wait');
    expect(judge({ ...a, onFailure: 'rollback' }, '2.0.0.0', figures(19, 2, 1), T0)).toMatchObject({
      kind: 'stop',
      decision: 'rolled-back',
      reason: expect.stringMatching(/above the limit of 5 %: rolled back\.$/),
    });
  });

  it('stops at a rate just above the limit and advances at the limit', () => {
    const strict = { ...a, maxFailureRate: 0.25, minDevices: 3 };
    expect(judge(strict, '2.0.0.0', figures(3, 1), T0 + 30 * MIN).kind).toBe('advance');
    expect(judge(strict, '2.0.0.0', figures(2, 1), T0 + 30 * MIN).kind).toBe('stop');
  });
});

describe('decided, startAutopilot and shownAutopilot', () => {
  it('starts waiting in the given step with no figures and no decisions', () => {
    expect(startAutopilot(CONFIG, 1, T0, 'raised')).toEqual({
      ...CONFIG,
      status: {
        step: 1,
        since: new Date(T0).toISOString(),
        decision: 'waiting',
        reason: 'raised',
        devices: 0,
        failures: 0,
        failureRate: 0,
      },
      decisions: [],
    });
  });

  it('keeps the start of a step when it stays, begins the next one on an advance, and records the figures', () => {
    const a = startAutopilot(CONFIG, 0, T0, 'released');
    const paused = decided(a, 'paused', 'why', figures(30, 10), T0 + 5 * MIN);
    expect(paused.status).toEqual({
      step: 0,
      since: a.status.since,
      decision: 'paused',
      reason: 'why',
      devices: 30,
      failures: 10,
      failureRate: 0.25,
    });
    expect(paused.decisions).toEqual([
      { at: new Date(T0 + 5 * MIN).toISOString(), step: 0, devices: 30, failureRate: 0.25, decision: 'paused', reason: 'why' },
    ]);
    const advanced = decided(paused, 'advanced', 'on', figures(40, 0), T0 + 40 * MIN, 1);
    expect(advanced.status.since).toBe(new Date(T0 + 40 * MIN).toISOString());
    expect(advanced.decisions.map((d) => d.decision)).toEqual(['paused', 'advanced']);
  });

  it('keeps the last 50 decisions', () => {
    let a = startAutopilot(CONFIG, 0, T0, 'released');
    for (let i = 0; i < 51; i++) a = decided(a, 'paused', `decision ${i}`, NO_FIGURES, T0 + i * MIN);
    expect(a.decisions).toHaveLength(50);
    expect(a.decisions[0].reason).toBe('decision 1');
    expect(a.decisions[49].reason).toBe('decision 50');
  });

  it('shows live figures for a running step and the decided ones otherwise, and parses what it stored', () => {
    const a = decided(startAutopilot(CONFIG, 0, T0, 'released'), 'paused', 'why', figures(30, 10), T0 + 5 * MIN);
    const stored = parseAutopilot(JSON.stringify(a))!;
    expect(parseAutopilot(null)).toBeNull();
    expect(shownAutopilot(stored, undefined)).toEqual({
      ...CONFIG,
      status: { step: 0, since: a.status.since, devices: 30, failures: 10, failureRate: 0.25, decision: 'paused', reason: 'why' },
      decisions: a.decisions,
    });
    expect(shownAutopilot(stored, figures(7, 1)).status).toMatchObject({ devices: 7, failures: 1, failureRate: 0.125 });
  });
});
