import { describe, expect, it } from 'vitest';
import { choose, type ProgramEntry, type Served } from '../src/modules/gate/served.js';
import { cohort, effectiveBp, effectiveState, FULL, type Ramp, resumeSteps } from '../src/modules/releases/rollout.js';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const minutes = (n: number) => T0 + n * 60_000;

const ramp = (over: Partial<Ramp> = {}): Ramp => ({ state: 'rolling-out', bp: 1000, steps: [], pausedAt: null, ...over });

const served = (version: string): Served => ({
  bytes: Buffer.from(JSON.stringify({ version })),
  entry: JSON.stringify({ version }),
  id: 0,
  version,
  platform: null,
  clientVersionMin: null,
  clientVersionMax: null,
});

describe('cohort(releaseId, deviceId)', () => {
  it('is a stable number in 0..9999, different per release', () => {
    const a = cohort('release-a', 'device-1');
    expect(a).toBe(cohort('release-a', 'device-1'));
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(FULL);
    const spread = new Set(Array.from({ length: 50 }, (_, i) => cohort(`release-${i}`, 'device-1')));
    expect(spread.size).toBeGreaterThan(40);
  });

  it('spreads 10,000 synthetic devices evenly: 10 % and 50 % within ±1.5 points, and 50 % keeps every device of 10 %', () => {
    const devices = Array.from({ length: 10_000 }, (_, i) => `device-${i.toString(36)}-${(i * 7919) % 10007}`);
    const releaseId = '3f2a0c1e-8d4b-4c59-9d0e-6f1b2a3c4d5e';
    const at = (percent: number) => new Set(devices.filter((d) => cohort(releaseId, d) < percent * 100));
    const ten = at(10);
    const fifty = at(50);
    expect(Math.abs((ten.size / devices.length) * 100 - 10)).toBeLessThanOrEqual(1.5);
    expect(Math.abs((fifty.size / devices.length) * 100 - 50)).toBeLessThanOrEqual(1.5);
    for (const d of ten) expect(fifty.has(d)).toBe(true);
  });
});

describe('effectiveBp and effectiveState (the clock decides, no scheduler)', () => {
  const steps = [
    { bp: 2500, at: minutes(10) },
    { bp: 5000, at: minutes(20) },
    { bp: FULL, at: minutes(30) },
  ];

  it('follows the latest step whose time has passed', () => {
    const r = ramp({ steps });
    expect(effectiveBp(r, minutes(0))).toBe(1000);
    expect(effectiveBp(r, minutes(10) - 1)).toBe(1000);
    expect(effectiveBp(r, minutes(10))).toBe(2500);
    expect(effectiveBp(r, minutes(25))).toBe(5000);
    expect(effectiveState(r, minutes(29))).toBe('rolling-out');
    expect(effectiveBp(r, minutes(30))).toBe(FULL);
    expect(effectiveState(r, minutes(30))).toBe('complete');
  });

  it('never goes below the percent set by the operator', () => {
    expect(effectiveBp(ramp({ bp: 6000, steps }), minutes(25))).toBe(6000);
  });

  it('freezes while paused, and resuming moves the steps still ahead by the length of the pause', () => {
    const paused = ramp({ state: 'paused', bp: 2500, steps, pausedAt: minutes(15) });
    expect(effectiveBp(paused, minutes(45))).toBe(2500);
    expect(effectiveState(paused, minutes(45))).toBe('paused');
    const resumed = resumeSteps(steps, minutes(15), minutes(45));
    expect(resumed).toEqual([
      { bp: 2500, at: minutes(10) },
      { bp: 5000, at: minutes(50) },
      { bp: FULL, at: minutes(60) },
    ]);
    const r = ramp({ bp: 2500, steps: resumed });
    expect(effectiveBp(r, minutes(49))).toBe(2500);
    expect(effectiveBp(r, minutes(50))).toBe(5000);
    expect(effectiveState(r, minutes(60))).toBe('complete');
  });

  it('keeps the percent a release reached once it is superseded, rolled back or taken down', () => {
    for (const state of ['superseded', 'rolled-back', 'taken-down'] as const) {
      expect(effectiveBp(ramp({ state, bp: 3000, steps }), minutes(60))).toBe(3000);
      expect(effectiveState(ramp({ state, bp: 3000, steps }), minutes(60))).toBe(state);
    }
    expect(effectiveBp(ramp({ state: 'complete', bp: 3000 }), T0)).toBe(FULL);
  });
});

describe('choose: what one device gets', () => {
  const next = served('2.0.0.0');
  const fallback = served('1.0.0.0');
  const entry = (over: Partial<NonNullable<ProgramEntry['rollout']>> = {}, signed = true): ProgramEntry => ({
    next: signed ? next : undefined,
    fallback,
    rollout: { releaseId: 'r1', ramp: ramp({ bp: 0 }), devices: 1, whitelist: new Set(['vip']), ...over },
  });

  it('gives a whitelisted device the new version at 0 %, everyone else (and no device ID) the previous one', () => {
    expect(choose(entry(), 'vip', T0)).toBe(next);
    expect(choose(entry(), 'someone', T0)).toBe(fallback);
    expect(choose(entry(), undefined, T0)).toBe(fallback);
  });

  it('keeps host apps outside the scope on their own version, whitelisted devices excepted', () => {
    const elsewhere = served('3.0.0.0');
    const outside: ProgramEntry = {
      next: fallback,
      elsewhere: { releaseId: 'r2', served: elsewhere, devices: 1, whitelist: new Set(['vip']) },
    };
    expect(choose(outside, 'someone', T0)).toBe(fallback);
    expect(choose(outside, undefined, T0)).toBe(fallback);
    expect(choose(outside, 'vip', T0)).toBe(elsewhere);
  });

  it("gives a device outside the chosen version's platform or client range the newest earlier version that fits", () => {
    const old = served('0.9.0.0');
    const e: ProgramEntry = { ...entry({ ramp: ramp({ state: 'complete', bp: FULL }) }), older: [old] };
    const not =
      (...versions: Served[]) =>
      (s: Served) =>
        !versions.includes(s);
    expect(choose(e, 'someone', T0, not(next))).toBe(fallback);
    expect(choose(e, 'someone', T0, not(next, fallback))).toBe(old);
    expect(choose(e, 'someone', T0, not(next, fallback, old))).toBeUndefined();
    // Outside the rollout the device has the fallback; outside its range, the one before.
    expect(choose(entry(), 'someone', T0, not(fallback))).toBeUndefined();
    expect(choose({ ...entry(), older: [old] }, 'someone', T0, not(fallback))).toBe(old);
  });

  it('gives a request without a device ID the previous version until 100 %, then the new one', () => {
    expect(choose(entry({ ramp: ramp({ bp: 9999 }) }), undefined, T0)).toBe(fallback);
    expect(choose(entry({ ramp: ramp({ bp: 9999, steps: [{ bp: FULL, at: minutes(1) }] }) }), undefined, minutes(1))).toBe(next);
  });

  it('keeps everyone, whitelisted or not, on the previous version until the new one is signed for the host app', () => {
    expect(choose(entry({ ramp: ramp({ state: 'complete', bp: FULL }) }, false), 'vip', T0)).toBe(fallback);
    expect(choose({ next: undefined, fallback: undefined }, 'vip', T0)).toBeUndefined();
  });
});
