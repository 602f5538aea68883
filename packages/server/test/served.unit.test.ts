import { describe, expect, it } from 'vitest';
import type { GateReleaseRow } from '../src/modules/gate/gate.repository.js';
import {
  buildEntries,
  choose,
  type HostAppIdentity,
  lineOf,
  type ProgramEntry,
  type Served,
  servableVersions,
} from '../src/modules/gate/served.js';
import { cohort, FULL } from '../src/modules/releases/rollout.js';

/**
 * The gate's decisions from release rows, without a database: which release is a host app's current one, what its
 * devices fall back to, what a release of another host app lends, and the answer's bytes. The integration suites
 * (gate.test.ts, releases-scope.test.ts) reach the same code through the API; these pin each rule on its own.
 */

const HOST: HostAppIdentity = {
  workspaceId: 'ws',
  appId: 'A',
  vhost: 'mini.example.com',
  keyFingerprint: 'f'.repeat(64),
  packageBaseUrl: 'https://cdn.example.com/packages',
};
const OTHER = { workspaceId: 'ws', appId: 'B' };

let id = 0;
/** A release row as GateRepository.releases reads it: complete, unscoped, signed, no platform or client range. */
function row(version: string, over: Partial<GateReleaseRow> = {}): GateReleaseRow {
  id += 1;
  return {
    hostAppId: 1,
    id,
    releaseId: `r-${version}-${id}`,
    miniProgramId: 'MP1',
    version,
    state: 'complete',
    percentBp: FULL,
    steps: '[]',
    pausedAt: null,
    deviceCount: 0,
    hostApps: null,
    mandatory: 0,
    currentReleaseId: null,
    sha256: `sha-${version}`,
    size: 1234,
    mainUrl: '/index.html',
    platform: null,
    clientVersionMin: null,
    clientVersionMax: null,
    releaseSignature: null,
    releaseKeyFingerprint: null,
    signature: `sig-${version}`,
    bindingSignature: `bind-${version}`,
    ...over,
  };
}

/** A history newest first, whose newest row is the mini program's current release. */
function history(...rows: GateReleaseRow[]): GateReleaseRow[] {
  const current = rows[0].releaseId;
  return rows.map((r) => ({ ...r, currentReleaseId: r.miniProgramId === rows[0].miniProgramId ? current : r.currentReleaseId }));
}

const scoped = (...hosts: { workspaceId: string; appId: string }[]) => JSON.stringify(hosts);
const versionOf = (s: { version: string } | undefined) => s?.version;
const resource = (s: { bytes: Buffer } | undefined) => JSON.parse(s!.bytes.toString('utf8'));
const only = (rows: GateReleaseRow[]): ProgramEntry => {
  const entries = buildEntries(rows, HOST);
  expect([...entries.keys()]).toEqual(['MP1']);
  return entries.get('MP1')!;
};

describe('buildEntries: the answer of one host app', () => {
  it('serves a complete signed release to everyone, with the answer made once as the resource JSON', () => {
    const e = only(history(row('1.0.0.0', { size: 4096, mandatory: 1 })));
    expect(versionOf(e.next)).toBe('1.0.0.0');
    expect(e.fallback).toBeUndefined();
    expect(e.older).toBeUndefined();
    expect(e.rollout).toBeUndefined();
    expect(e.elsewhere).toBeUndefined();
    expect(resource(e.next)).toEqual({
      miniProgramId: 'MP1',
      version: '1.0.0.0',
      packageUrl: 'https://cdn.example.com/packages/sha-1.0.0.0.zip',
      sha256: 'sha-1.0.0.0',
      size: 4096,
      signature: 'sig-1.0.0.0',
      bindingSignature: 'bind-1.0.0.0',
      keyFingerprint: HOST.keyFingerprint,
      vhost: HOST.vhost,
      mainUrl: '/index.html',
      mandatory: true,
    });
    expect(resource(only(history(row('1.0.0.0', { mandatory: 0 }))).next).mandatory).toBe(false);
  });

  it("passes the organisation's release signature through only with its key's fingerprint", () => {
    const both = only(history(row('1.0.0.0', { releaseSignature: 'rs', releaseKeyFingerprint: 'rk' })));
    expect(resource(both.next)).toMatchObject({ releaseSignature: 'rs', releaseKeyFingerprint: 'rk' });
    for (const half of [{ releaseSignature: 'rs' }, { releaseKeyFingerprint: 'rk' }]) {
      const e = only(history(row('1.0.0.0', half)));
      expect(resource(e.next)).not.toHaveProperty('releaseSignature');
      expect(resource(e.next)).not.toHaveProperty('releaseKeyFingerprint');
    }
  });

  it('keeps the platform and client range of each served version for the device filter', () => {
    const e = only(history(row('1.0.0.0', { platform: 'ios', clientVersionMin: '1.0', clientVersionMax: '2.0' })));
    expect(e.next).toMatchObject({ platform: 'ios', clientVersionMin: '1.0', clientVersionMax: '2.0' });
  });

  it('gives a rollout its ramp, whitelist count and the previous complete version as fallback', () => {
    const rolling = row('2.0.0.0', { state: 'rolling-out', percentBp: 2500, deviceCount: 3, pausedAt: null });
    const e = only(history(rolling, row('1.0.0.0')));
    expect(versionOf(e.next)).toBe('2.0.0.0');
    expect(versionOf(e.fallback)).toBe('1.0.0.0');
    expect(e.rollout).toEqual({
      releaseId: rolling.releaseId,
      ramp: { state: 'rolling-out', bp: 2500, steps: [], pausedAt: null },
      devices: 3,
    });
    const paused = only(history(row('2.0.0.0', { state: 'paused', percentBp: 100, pausedAt: '2026-12-01T10:00:00.000Z' }), row('1.0.0.0')));
    expect(paused.rollout?.ramp).toMatchObject({ state: 'paused', pausedAt: Date.parse('2026-12-01T10:00:00.000Z') });
    // A pause freezes the schedule: a step due since then does not count.
    const steps = JSON.stringify([{ percent: 100, at: '2026-12-01T11:00:00.000Z' }]);
    const frozen = only(
      history(row('2.0.0.0', { state: 'paused', percentBp: 0, steps, pausedAt: '2026-12-01T10:00:00.000Z' }), row('1.0.0.0')),
    );
    expect(versionOf(choose(frozen, 'any-device', Date.parse('2026-12-02T00:00:00.000Z')))).toBe('1.0.0.0');
  });

  it('keeps everyone on the fallback until both signatures of the new version exist for this host app', () => {
    for (const missing of [{ signature: null }, { bindingSignature: null }]) {
      const e = only(history(row('2.0.0.0', { state: 'rolling-out', percentBp: 5000, ...missing }), row('1.0.0.0')));
      expect(e.next).toBeUndefined();
      expect(versionOf(e.fallback)).toBe('1.0.0.0');
      expect(versionOf(choose(e, 'any-device', Date.now()))).toBe('1.0.0.0');
    }
    // A fallback without its signatures is skipped for the one before it.
    const e = only(
      history(row('3.0.0.0'), row('2.0.0.0', { bindingSignature: null }), row('1.0.0.0', { platform: 'ios' }), row('0.9.0.0')),
    );
    expect([e.fallback, ...(e.older ?? [])].map(versionOf)).toEqual(['1.0.0.0', '0.9.0.0']);
  });

  it('leaves out a mini program with nothing signed to serve, one taken down, and one whose newest row is not current', () => {
    expect(buildEntries(history(row('1.0.0.0', { signature: null })), HOST).size).toBe(0);
    expect(buildEntries(history(row('2.0.0.0', { state: 'taken-down' }), row('1.0.0.0')), HOST).size).toBe(0);
    const stale = history(row('2.0.0.0'), row('1.0.0.0')).map((r) => ({ ...r, currentReleaseId: 'another' }));
    expect(buildEntries(stale, HOST).size).toBe(0);
    // A take-down ends the whitelist too: it lends nothing.
    const takenDown = history(row('2.0.0.0', { state: 'taken-down', deviceCount: 3, hostApps: scoped(OTHER) }), row('1.0.0.0'));
    expect(buildEntries(takenDown, HOST).size).toBe(0);
    expect(servableVersions(takenDown, HOST)).toEqual([]);
  });

  it('never falls back across a take-down', () => {
    const e = only(
      history(row('3.0.0.0', { state: 'rolling-out', percentBp: 0 }), row('2.0.0.0', { state: 'taken-down' }), row('1.0.0.0')),
    );
    expect(versionOf(e.next)).toBe('3.0.0.0');
    expect(e.fallback).toBeUndefined();
    expect(versionOf(choose(e, 'any-device', Date.now()))).toBeUndefined();
  });

  it('falls back through complete releases only, one per version, down to the first that fits every device', () => {
    const e = only(
      history(
        row('5.0.0.0', { state: 'rolling-out', percentBp: 0 }),
        row('4.0.0.0', { state: 'paused', hostApps: scoped(HOST) }),
        row('3.0.0.0', { platform: 'ios' }),
        row('3.0.0.0'),
        row('2.0.0.0', { clientVersionMin: '2.0' }),
        row('1.9.0.0', { clientVersionMax: '9.0' }),
        row('1.0.0.0'),
        row('0.9.0.0'),
      ),
    );
    expect(versionOf(e.next)).toBe('5.0.0.0');
    expect(versionOf(e.fallback)).toBe('3.0.0.0');
    expect(e.fallback?.platform).toBe('ios');
    expect(e.older?.map(versionOf)).toEqual(['2.0.0.0', '1.9.0.0', '1.0.0.0']);
    // Each field alone makes a version one that does not fit every device.
    const single = only(history(row('2.0.0.0'), row('1.0.0.0')));
    expect(single.older).toBeUndefined();
    expect(versionOf(single.fallback)).toBe('1.0.0.0');
  });

  it('keeps at most 16 earlier versions', () => {
    const older = Array.from({ length: 20 }, (_, i) => row(`1.0.0.${20 - i}`, { platform: 'android' }));
    const e = only(history(row('2.0.0.0'), ...older));
    expect(1 + (e.older?.length ?? 0)).toBe(16);
    expect(versionOf(e.fallback)).toBe('1.0.0.20');
    expect(versionOf(e.older?.at(-1))).toBe('1.0.0.5');
  });

  it("follows its own line: another host app's newer release only lends its whitelist, and only when it has one", () => {
    const forB = row('3.0.0.0', { state: 'rolling-out', percentBp: 0, hostApps: scoped(OTHER), deviceCount: 2 });
    const e = only(history(forB, row('2.0.0.0', { hostApps: scoped(HOST) }), row('1.0.0.0')));
    expect(versionOf(e.next)).toBe('2.0.0.0');
    expect(versionOf(e.fallback)).toBe('1.0.0.0');
    expect(e.rollout).toBeUndefined();
    expect(e.elsewhere?.releaseId).toBe(forB.releaseId);
    expect(e.elsewhere?.devices).toBe(2);
    expect(versionOf(e.elsewhere?.served)).toBe('3.0.0.0');
    expect(resource(e.elsewhere?.served).keyFingerprint).toBe(HOST.keyFingerprint);

    const noWhitelist = only(history({ ...forB, deviceCount: 0 }, row('2.0.0.0', { hostApps: scoped(HOST) })));
    expect(noWhitelist.elsewhere).toBeUndefined();
    const unsigned = only(history({ ...forB, bindingSignature: null }, row('2.0.0.0', { hostApps: scoped(HOST) })));
    expect(unsigned.elsewhere).toBeUndefined();
    // Its own newest release with a whitelist is its rollout, not "elsewhere".
    const own = only(history(row('3.0.0.0', { state: 'rolling-out', percentBp: 0, deviceCount: 2 }), row('2.0.0.0')));
    expect(own.elsewhere).toBeUndefined();
  });

  it('serves a host app the newest release only lends to (nothing of its own) through the whitelist alone', () => {
    const forB = row('1.0.0.0', { state: 'rolling-out', percentBp: 0, hostApps: scoped(OTHER), deviceCount: 1 });
    const e = only(history(forB));
    expect(e.next).toBeUndefined();
    expect(e.fallback).toBeUndefined();
    expect(versionOf(e.elsewhere?.served)).toBe('1.0.0.0');
    expect(buildEntries(history({ ...forB, deviceCount: 0 }), HOST).size).toBe(0);
  });

  it('builds one entry per mini program from rows of several, each with its own history', () => {
    const rows = [
      row('2.0.0.0', { miniProgramId: 'MP2', currentReleaseId: 'x' }),
      row('1.0.0.0', { miniProgramId: 'MP1' }),
      row('1.5.0.0', { miniProgramId: 'MP2' }),
    ];
    rows[0].currentReleaseId = rows[0].releaseId;
    rows[1].currentReleaseId = rows[1].releaseId;
    rows[2].currentReleaseId = rows[0].releaseId;
    const entries = buildEntries(rows, HOST);
    expect([...entries.keys()].sort()).toEqual(['MP1', 'MP2']);
    expect(versionOf(entries.get('MP1')?.next)).toBe('1.0.0.0');
    expect(versionOf(entries.get('MP2')?.next)).toBe('2.0.0.0');
    expect(versionOf(entries.get('MP2')?.fallback)).toBe('1.5.0.0');
  });
});

describe('lineOf and servableVersions: what the signer signs for a host app', () => {
  it("lists the current release's version, the whitelist's of the newest, and the fallbacks, signed or not", () => {
    const h = history(
      row('4.0.0.0', { state: 'rolling-out', hostApps: scoped(OTHER), deviceCount: 1, signature: null }),
      row('3.0.0.0', { state: 'rolling-out', hostApps: scoped(HOST), bindingSignature: null }),
      row('2.0.0.0', { platform: 'ios', signature: null }),
      row('1.0.0.0'),
      row('0.9.0.0'),
    );
    expect(servableVersions(h, HOST)).toEqual(['3.0.0.0', '4.0.0.0', '2.0.0.0', '1.0.0.0']);
    expect(servableVersions(h, OTHER)).toEqual(['4.0.0.0', '2.0.0.0', '1.0.0.0']);
    expect(servableVersions(history(row('1.0.0.0', { hostApps: scoped(OTHER) })), HOST)).toEqual([]);
    expect(servableVersions(history(row('1.0.0.0', { hostApps: scoped(OTHER), deviceCount: 1 })), HOST)).toEqual(['1.0.0.0']);
  });

  it('is empty for a mini program taken down, and for a history whose newest row is not current', () => {
    expect(servableVersions(history(row('2.0.0.0', { state: 'taken-down' }), row('1.0.0.0')), HOST)).toEqual([]);
    expect(servableVersions([{ ...row('1.0.0.0'), currentReleaseId: 'another' }], HOST)).toEqual([]);
    expect(servableVersions([], HOST)).toEqual([]);
  });

  it('splits the history into the newest release, the current one for the host app, and those before it', () => {
    const h = history(
      row('3.0.0.0', { hostApps: scoped(OTHER) }),
      row('2.0.0.0'),
      row('1.5.0.0', { hostApps: scoped(OTHER) }),
      row('1.0.0.0'),
    );
    const line = lineOf(h, HOST)!;
    expect(line.newest.version).toBe('3.0.0.0');
    expect(line.current?.version).toBe('2.0.0.0');
    expect(line.before.map((r) => r.version)).toEqual(['1.0.0.0']);
  });
});

describe('choose: the cohort split, and entries without a loaded whitelist', () => {
  const served = (version: string, id: number): Served => ({
    bytes: Buffer.from('{}'),
    entry: '{}',
    id,
    version,
    platform: null,
    clientVersionMin: null,
    clientVersionMax: null,
  });
  const next = served('2.0.0.0', 1);
  const fallback = served('1.0.0.0', 2);
  const devices = Array.from({ length: 40 }, (_, i) => `device-${i}`);
  const at = (bp: number): ProgramEntry => ({
    next,
    fallback,
    rollout: { releaseId: 'r-split', ramp: { state: 'rolling-out', bp, steps: [], pausedAt: null }, devices: 0 },
  });

  it('gives a device the new version exactly when its cohort is below the percent', () => {
    for (const d of devices) {
      const c = cohort('r-split', d);
      expect(choose(at(c), d, 0), `${d} at its own cohort`).toBe(fallback);
      expect(choose(at(c + 1), d, 0), `${d} one above`).toBe(next);
    }
    const half = devices.map((d) => choose(at(5000), d, 0)?.version);
    expect(half).toContain('2.0.0.0');
    expect(half).toContain('1.0.0.0');
  });

  it('treats a release with no whitelist loaded as one without whitelisted devices', () => {
    const e: ProgramEntry = {
      ...at(0),
      rollout: { ...at(0).rollout!, whitelist: undefined },
      elsewhere: { releaseId: 'r-other', served: served('3.0.0.0', 3), devices: 0 },
    };
    expect(choose(e, 'device-1', 0)).toBe(fallback);
    expect(choose(e, undefined, 0)).toBe(fallback);
  });

  it('passes the device filter only versions that exist', () => {
    const old = served('0.9.0.0', 4);
    // Nothing to fall back to but an older version: the filter sees that one, never a missing fallback.
    const fits = (s: { platform: string | null; version: string }) => s.platform === null && s.version !== '2.0.0.0';
    expect(choose({ next, older: [old] }, 'device-1', 0, fits)).toBe(old);
    // Neither the new version nor the fallback fits, and there is nothing older: nothing.
    expect(choose({ next, fallback }, 'device-1', 0, (s) => s !== next && s !== fallback)).toBeUndefined();
  });
});
