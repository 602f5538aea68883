import type { Release } from '@mpop/contracts';
import { describe, expect, it } from 'vitest';
import { rollbackTarget, servedVersion, supersededBy } from './release-api';

const A = { workspaceId: 'w', appId: 'A' };
const B = { workspaceId: 'w', appId: 'B' };
let n = 0;
const rel = (version: string, state: Release['state'], hostApps: Release['hostApps'] = null) =>
  ({ releaseId: `r${++n}`, version, state, hostApps }) as Release;

describe('the release helpers follow each host app\u2019s own line, as the server does', () => {
  // Newest first: 1 for everyone, 2 for A, 3 rolling out to B.
  const history = [rel('3.0.0.0', 'rolling-out', [B]), rel('2.0.0.0', 'complete', [A]), rel('1.0.0.0', 'complete')];

  it('servedVersion: the newest complete release that reaches the whole scope', () => {
    expect(servedVersion(history, [A])).toBe('2.0.0.0');
    expect(servedVersion(history, [B])).toBe('1.0.0.0');
    expect(servedVersion(history, null)).toBe('1.0.0.0');
    expect(servedVersion([rel('2.0.0.0', 'taken-down'), ...history], null)).toBeNull();
  });

  it('supersededBy: a release for A leaves B’s rollout going; one for B or everyone ends it', () => {
    expect(supersededBy(history, [A])).toEqual([]);
    expect(supersededBy(history, [B]).map((r) => r.version)).toEqual(['3.0.0.0']);
    expect(supersededBy(history, null).map((r) => r.version)).toEqual(['3.0.0.0']);
  });

  it('rollbackTarget: each host app of the current release goes back to its own last complete version', () => {
    expect(rollbackTarget([rel('4.0.0.0', 'complete', [A]), ...history])).toBe('2.0.0.0');
    expect(rollbackTarget([rel('4.0.0.0', 'complete', [B]), ...history])).toBe('1.0.0.0');
    expect(rollbackTarget([rel('4.0.0.0', 'complete'), ...history])).toBe('1.0.0.0, 2.0.0.0');
    expect(rollbackTarget([rel('2.0.0.0', 'complete', [B])])).toBeUndefined();
  });
});
