import { describe, expect, it } from 'vitest';
import type { ReleaseRow } from '../src/db/schema.js';
import { createHash } from 'node:crypto';
import { cohort, effectiveState, FULL, toBp, toPercent } from '../src/modules/releases/rollout.js';
import {
  type HostRef,
  liveRollouts,
  previousVersion,
  reaches,
  rollbackScope,
  rollbackTargets,
  type Scope,
  scopeOf,
  settleRollouts,
} from '../src/modules/releases/scope.js';

/**
 * The host-app scope rules on release histories, without a database (releases-scope.test.ts goes through the API
 * and the gate): which rollouts a new release ends, what devices outside a rollout keep, where a rollback goes.
 */

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const A: HostRef = { workspaceId: 'ws', appId: 'A' };
const B: HostRef = { workspaceId: 'ws', appId: 'B' };
const C: HostRef = { workspaceId: 'ws', appId: 'C' };

let id = 0;
function row(version: string, state: ReleaseRow['state'], scope: Scope = null, over: Partial<ReleaseRow> = {}): ReleaseRow {
  id += 1;
  return {
    id,
    releaseId: `r${id}-${version}`,
    miniProgramId: 'MP1',
    version,
    previousVersion: null,
    state,
    percentBp: state === 'complete' ? FULL : 1000,
    steps: '[]',
    pausedAt: null,
    deviceCount: 0,
    hostApps: scope === null ? null : JSON.stringify(scope),
    mandatory: 0,
    note: null,
    createdAt: '2026-12-01T00:00:00.000Z',
    createdBy: 'admin',
    updatedAt: '2026-12-01T00:00:00.000Z',
    autopilot: null,
    stepsAppliedAt: null,
    ...over,
  };
}
const versions = (rows: ReleaseRow[]) => rows.map((r) => r.version);
const doneSteps = JSON.stringify([{ percent: 100, at: new Date(NOW - 1).toISOString() }]);
const laterSteps = JSON.stringify([{ percent: 100, at: new Date(NOW + 60_000).toISOString() }]);

describe('reaches and scopeOf', () => {
  it('reaches every host app when unscoped, and only the named ones (workspace and app) otherwise', () => {
    expect(reaches(null, A)).toBe(true);
    expect(reaches([A], A)).toBe(true);
    expect(reaches([A], B)).toBe(false);
    expect(reaches([{ workspaceId: 'other', appId: 'A' }], A)).toBe(false);
    expect(reaches([], A)).toBe(false);
    expect(scopeOf({ hostApps: null })).toBeNull();
    expect(scopeOf({ hostApps: JSON.stringify([A]) })).toEqual([A]);
  });
});

describe('settleRollouts: what a new release does to the rollouts still going', () => {
  it('ends a rollout whose host apps the new release reaches, and leaves one that still reaches another', () => {
    const forAB = row('2', 'rolling-out', [A, B]);
    const h = [forAB, row('1', 'complete')];
    expect(settleRollouts(h, [A], NOW)).toEqual({ completed: [], superseded: [] });
    expect(settleRollouts(h, [A, B], NOW).superseded).toEqual([forAB]);
    expect(settleRollouts(h, [B, A, C], NOW).superseded).toEqual([forAB]);
    expect(settleRollouts(h, null, NOW).superseded).toEqual([forAB]);
  });

  it('counts releases made after a rollout: a rollout for A and B ends once B and then A are covered', () => {
    const forAB = row('2', 'paused', [A, B]);
    const forB = row('3', 'rolling-out', [B]);
    const h = [forB, forAB, row('1', 'complete')];
    expect(versions(settleRollouts(h, [A], NOW).superseded)).toEqual(['2']);
    expect(versions(settleRollouts(h, [B], NOW).superseded)).toEqual(['3']);
    expect(versions(settleRollouts(h, [C], NOW).superseded)).toEqual([]);
    // An unscoped release made after a scoped rollout covers it.
    const h2 = [row('4', 'rolling-out'), row('3', 'rolling-out', [A])];
    expect(versions(settleRollouts(h2, [B], NOW).superseded)).toEqual(['3']);
    // An unscoped rollout is covered only by an unscoped release.
    expect(versions(settleRollouts([row('2', 'rolling-out')], [A, B, C], NOW).superseded)).toEqual([]);
  });

  it('records a rollout whose steps reached 100 % as complete, not superseded; one with steps ahead is superseded', () => {
    const done = row('2', 'rolling-out', null, { steps: doneSteps });
    const ahead = row('2', 'rolling-out', null, { steps: laterSteps });
    expect(settleRollouts([done], null, NOW)).toEqual({ completed: [done], superseded: [] });
    expect(settleRollouts([ahead], null, NOW)).toEqual({ completed: [], superseded: [ahead] });
  });

  it('leaves complete and ended releases alone, and stops at the latest take-down', () => {
    const old = row('1', 'rolling-out');
    const h = [row('3', 'complete'), row('2.5', 'superseded'), row('2', 'taken-down'), old];
    expect(settleRollouts(h, null, NOW)).toEqual({ completed: [], superseded: [] });
  });
});

describe('liveRollouts: what a take-down ends', () => {
  it('ends every rollout above the latest take-down, recording those at 100 % as complete', () => {
    const done = row('4', 'paused', [A], { steps: doneSteps });
    const going = row('3', 'rolling-out', [B]);
    const h = [done, row('2.5', 'complete'), going, row('2', 'taken-down'), row('1', 'rolling-out')];
    expect(liveRollouts(h, NOW)).toEqual({ completed: [done], superseded: [going] });
  });
});

describe('previousVersion: what devices outside a new rollout keep', () => {
  it('is the newest complete release that reaches every host app of the scope', () => {
    const h = [row('4', 'rolling-out'), row('3', 'complete', [A]), row('2', 'complete', [A, B]), row('1', 'complete')];
    expect(previousVersion(h, [A], NOW)).toBe('3');
    expect(previousVersion(h, [B], NOW)).toBe('2');
    expect(previousVersion(h, [A, B], NOW)).toBe('2');
    expect(previousVersion(h, [C], NOW)).toBe('1');
    expect(previousVersion(h, null, NOW)).toBe('1');
  });

  it('counts a rollout whose steps reached 100 %, and never looks past a take-down', () => {
    expect(previousVersion([row('2', 'rolling-out', null, { steps: doneSteps }), row('1', 'complete')], null, NOW)).toBe('2');
    expect(previousVersion([row('2', 'rolling-out', null, { steps: laterSteps }), row('1', 'complete')], null, NOW)).toBe('1');
    expect(previousVersion([row('2', 'taken-down'), row('1', 'complete')], null, NOW)).toBeNull();
    expect(previousVersion([], null, NOW)).toBeNull();
  });
});

describe('rollbackTargets: where a rollback takes each host app', () => {
  it('takes a scoped release back to the last complete version of its host apps, keeping its scope when one version fits all', () => {
    const scope = [A, B];
    const h = [row('3', 'rolling-out', scope), row('2', 'complete'), row('1', 'complete')];
    const targets = rollbackTargets(h);
    expect(targets).toEqual([{ version: '2', scope }]);
  });

  it('sends each host app of a scoped release to its own version, one release per version', () => {
    const h = [row('4', 'rolling-out', [A, B, C]), row('3', 'complete', [A]), row('2', 'complete', [B]), row('1', 'complete', [A, B])];
    expect(rollbackTargets(h)).toEqual([
      { version: '3', scope: [A] },
      { version: '2', scope: [B] },
    ]);
    // Two host apps that go back to the same version, and one with nowhere to go: the version names only those two.
    const h2 = [row('3', 'rolling-out', [A, B, C]), row('2', 'complete', [A, B])];
    expect(rollbackTargets(h2)).toEqual([{ version: '2', scope: [A, B] }]);
  });

  it('takes an unscoped release back to the last unscoped version, and the host apps named since to their own', () => {
    const h = [row('4', 'complete'), row('3', 'complete', [A]), row('2', 'complete', [B, { ...A }]), row('1', 'complete')];
    expect(rollbackTargets(h)).toEqual([
      { version: '1', scope: null },
      { version: '3', scope: [A] },
      { version: '2', scope: [B] },
    ]);
  });

  it('makes no second release for a host app whose version is the one everyone goes back to', () => {
    const h = [row('4', 'complete'), row('3', 'paused', [A]), row('1', 'complete')];
    expect(rollbackTargets(h)).toEqual([{ version: '1', scope: null }]);
  });

  it('never goes back to the version rolled back, to an incomplete release, or across a take-down', () => {
    expect(rollbackTargets([row('2', 'complete'), row('2', 'complete'), row('1', 'complete')])).toEqual([{ version: '1', scope: null }]);
    expect(rollbackTargets([row('3', 'complete'), row('2', 'paused'), row('1', 'complete')])).toEqual([{ version: '1', scope: null }]);
    expect(rollbackTargets([row('3', 'complete'), row('2', 'taken-down'), row('1', 'complete')])).toEqual([]);
    expect(rollbackTargets([row('1', 'complete', [A])])).toEqual([]);
  });

  it('after a take-down, gives every host app what it had before it', () => {
    const h = [row('3', 'taken-down', [A]), row('2', 'complete', [B]), row('1', 'complete')];
    expect(rollbackTargets(h)).toEqual([
      { version: '1', scope: null },
      { version: '2', scope: [B] },
    ]);
    expect(rollbackScope(h[0])).toBeNull();
    expect(rollbackScope(h[1])).toEqual([B]);
    expect(rollbackScope(h[2])).toBeNull();
  });
});

describe('rollout units and cohorts', () => {
  it('converts percent to basis points (0.01 % steps) and back', () => {
    expect(toBp(12.345)).toBe(1235);
    expect(toBp(100)).toBe(FULL);
    expect(toPercent(1235)).toBe(12.35);
  });

  it('keeps the cohort formula: 48 bits of SHA-256 over "releaseId\\ndeviceId", modulo 10,000 (devices keep their side across upgrades)', () => {
    const expected = (r: string, d: string) => createHash('sha256').update(`${r}\n${d}`).digest().readUIntBE(0, 6) % FULL;
    for (const [r, d] of [
      ['r1', 'd1'],
      ['ab', 'c'],
      ['a', 'bc'],
    ])
      expect(cohort(r, d)).toBe(expected(r, d));
    expect(cohort('ab', 'c')).not.toBe(cohort('a', 'bc'));
  });

  it('keeps a release that ended at 100 % in its ended state (a rolled-back complete release is not complete again)', () => {
    for (const state of ['rolled-back', 'superseded', 'taken-down'] as const) {
      expect(effectiveState({ state, bp: FULL, steps: [], pausedAt: null }, NOW)).toBe(state);
    }
  });
});
