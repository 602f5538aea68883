import fs from 'node:fs';
import path from 'node:path';
import { verify } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, type TestApp, userWithRole } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

interface Release {
  releaseId: string;
  version: string;
  previousVersion: string | null;
  state: string;
  percent: number;
  steps: { percent: number; at: string }[];
  devices: number;
  hostApps: { workspaceId: string; appId: string }[] | null;
  mandatory: boolean;
  note: string | null;
  createdBy: string;
  signing: { state: string; reason: string | null; total: number; done: number };
}

/** A clock the test moves by hand: scheduled steps follow it, not the wall clock. */
const fakeClock = () => {
  let now = Date.parse('2026-11-25T10:00:00.000Z');
  return { now: () => now, advance: (ms: number) => (now += ms), iso: (plusMs = 0) => new Date(now + plusMs).toISOString() };
};
const MINUTE = 60_000;

describe.each(dialects)('controlled releases on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  const clock = fakeClock();

  beforeAll(async () => {
    // The distribution test asks 20,000 times as many devices of one host app: no rate limit here.
    t = await startApp(dialect, { MPOP_RATE_LIMIT_PER_DEVICE: '0', MPOP_RATE_LIMIT_PER_ADDRESS: '0' }, { clock: clock.now });
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  let counter = 0;
  async function hostApp(workspaceId = 'rel') {
    const app = (await admin.post('/api/v1/host-apps', { name: `Host ${++counter}`, workspaceId })).json();
    expect(
      (await admin.put(`/api/v1/host-apps/${workspaceId}/${app.appId}/dev-config`, devConfigForm('rel.example.com', sharedKey().pkcs8)))
        .statusCode,
    ).toBe(200);
    return { workspaceId, appId: app.appId as string };
  }
  /** A mini program with versions uploaded (none released), authorised for the host apps. */
  async function miniProgram(hosts: { workspaceId: string; appId: string }[], versions = ['1.0.0.0', '2.0.0.0', '3.0.0.0']) {
    const id = (await admin.post('/api/v1/mini-programs', { name: `MP ${++counter}` })).json().miniProgramId as string;
    for (const [i, version] of versions.entries()) {
      // Bytes unique to this mini program: a package signature is shared by every package with the same bytes and key.
      const zip = await miniProgramZip(`pages/v${i}/index`, { 'origin.txt': `${id} ${version}` });
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip))).statusCode).toBe(201);
    }
    for (const h of hosts)
      expect((await admin.put(`/api/v1/host-apps/${h.workspaceId}/${h.appId}/mini-programs/${id}`)).statusCode).toBe(200);
    return id;
  }
  const release = async (id: string, version: string, body?: unknown) => {
    const res = await admin.post(`/api/v1/mini-programs/${id}/packages/${version}/release`, body);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Release;
  };
  const patch = (id: string, releaseId: string, payload: unknown) =>
    admin.request({ method: 'PATCH', url: `/api/v1/mini-programs/${id}/releases/${releaseId}`, payload: payload as object });
  const history = async (id: string) => (await admin.get(`/api/v1/mini-programs/${id}/releases`)).json().items as Release[];
  /** The version a device (or a request without a device ID) gets, or null when the mini program is not in the answer. */
  const versionFor = async (h: { workspaceId: string; appId: string }, id: string, deviceId?: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { ...h, platform: 'android', clientVersion: '10.0', miniPrograms: { [id]: '*' }, ...(deviceId ? { deviceId } : {}) },
    });
    expect(res.statusCode, res.body).toBe(200);
    const [r] = res.json().resources;
    return (r?.version as string | undefined) ?? null;
  };
  const audit = async (action: string) =>
    (await admin.get(`/api/v1/audit-events?action=${action}&pageSize=100`)).json().items as { details: Record<string, unknown> }[];

  it('releases at once with no body: 100 %, complete, with the previous version, in the history newest first', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    const first = await release(id, '1.0.0.0');
    expect(first).toMatchObject({
      version: '1.0.0.0',
      previousVersion: null,
      state: 'complete',
      percent: 100,
      steps: [],
      devices: 0,
      hostApps: null,
      mandatory: false,
      note: null,
      createdBy: 'admin',
      signing: { state: 'signed', reason: null, total: 1, done: 1 },
    });
    const second = await release(id, '2.0.0.0');
    expect(second).toMatchObject({ version: '2.0.0.0', previousVersion: '1.0.0.0', state: 'complete', percent: 100 });
    expect((await history(id)).map((r) => [r.version, r.state])).toEqual([
      ['2.0.0.0', 'complete'],
      ['1.0.0.0', 'complete'],
    ]);
    expect(await versionFor(h, id, 'any-device')).toBe('2.0.0.0');
    expect(await versionFor(h, id)).toBe('2.0.0.0');
    expect(
      (await admin.get('/api/v1/mini-programs')).json().items.find((m: { miniProgramId: string }) => m.miniProgramId === id)
        .releasedVersion,
    ).toBe('2.0.0.0');
    expect((await audit('mini-program.released')).filter((e) => e.details.releaseId === second.releaseId)).toHaveLength(1);
  });

  it('gives 10 % and then 50 % of 10,000 devices the new version (within five standard deviations), and no device moves back', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    await release(id, '1.0.0.0');
    const r = await release(id, '2.0.0.0', { rollout: { percent: 10 } });
    expect(r).toMatchObject({ state: 'rolling-out', percent: 10, previousVersion: '1.0.0.0' });
    const devices = Array.from({ length: 10_000 }, (_, i) => `dev-${i}`);
    // 20,000 answers straight from the gate service (the same code the route calls, without HTTP around it).
    const gateVersion = async (deviceId: string) =>
      (await t.app.services.gate.resources({ ...h, platform: 'android', clientVersion: '10.0', deviceId, miniPrograms: { [id]: '*' } }))[0]
        ?.version;
    const onNew = async () => {
      const got = new Set<string>();
      for (const d of devices) {
        const v = await gateVersion(d);
        if (v === '2.0.0.0') got.add(d);
        else expect(v).toBe('1.0.0.0');
      }
      return got;
    };
    // Each release draws its own cohorts: the share on the new version is binomial. Five standard deviations (1.5
    // points at 10 %, 2.5 at 50 %) fail about once in two million runs; a wrong share (none, all, another percent) fails.
    const within = (got: Set<string>, percent: number) => {
      const p = percent / 100;
      const sd = Math.sqrt((p * (1 - p)) / devices.length) * 100;
      expect(Math.abs((got.size / devices.length) * 100 - percent), `${got.size} of ${devices.length} devices`).toBeLessThanOrEqual(5 * sd);
    };
    const ten = await onNew();
    within(ten, 10);
    const raised = await patch(id, r.releaseId, { percent: 50 });
    expect(raised.statusCode).toBe(200);
    expect(raised.json()).toMatchObject({ state: 'rolling-out', percent: 50 });
    const fifty = await onNew();
    within(fifty, 50);
    for (const d of ten) expect(fifty.has(d)).toBe(true);
    // A restart places every device the same way (the cohort comes from stored data only).
    t = await t.restart();
    admin = new Client(t.app, admin.cookie);
    for (const d of devices.slice(0, 500)) expect(await versionFor(h, id, d)).toBe(fifty.has(d) ? '2.0.0.0' : '1.0.0.0');
  }, 300_000);

  it('gives whitelisted devices the new version at 0 %; others and requests without a device ID keep the previous one', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    await release(id, '1.0.0.0');
    const r = await release(id, '2.0.0.0', { rollout: { percent: 0, devices: ['tester-1', 'tester-2', 'tester-1'] } });
    expect(r).toMatchObject({ state: 'rolling-out', percent: 0, devices: 2 });
    expect(await versionFor(h, id, 'tester-1')).toBe('2.0.0.0');
    expect(await versionFor(h, id, 'tester-2')).toBe('2.0.0.0');
    for (let i = 0; i < 50; i++) expect(await versionFor(h, id, `someone-${i}`)).toBe('1.0.0.0');
    expect(await versionFor(h, id)).toBe('1.0.0.0');
    // Completing the rollout gives everyone the new version, with or without a device ID.
    expect((await patch(id, r.releaseId, { percent: 100 })).json()).toMatchObject({ state: 'complete', percent: 100 });
    expect(await versionFor(h, id)).toBe('2.0.0.0');
    expect(await versionFor(h, id, 'someone-1')).toBe('2.0.0.0');
  });

  it('accepts a whitelist of 100,000 device IDs', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    await release(id, '1.0.0.0');
    const devices = Array.from({ length: 100_000 }, (_, i) => `device:${i.toString(16).padStart(8, '0')}-${'x'.repeat(20)}`);
    const r = await release(id, '2.0.0.0', { rollout: { percent: 0, devices } });
    expect(r.devices).toBe(100_000);
    expect(await versionFor(h, id, devices[99_999])).toBe('2.0.0.0');
    expect(await versionFor(h, id, devices[0])).toBe('2.0.0.0');
    expect(await versionFor(h, id, 'device:not-listed')).toBe('1.0.0.0');
    const over = await admin.post(`/api/v1/mini-programs/${id}/packages/3.0.0.0/release`, {
      rollout: { percent: 0, devices: [...devices, 'one-more'] },
    });
    expect(over.statusCode).toBe(400);
    expect(over.json().code).toBe('VALIDATION_FAILED');
  }, 120_000);

  it('rolls forward only the host apps in scope; the others keep the previous version, whitelisted devices excepted', async () => {
    const inside = await hostApp();
    const outside = await hostApp();
    const id = await miniProgram([inside, outside]);
    await release(id, '1.0.0.0');
    const r = await release(id, '2.0.0.0', { rollout: { percent: 100, hostApps: [inside], devices: ['vip'] } });
    expect(r).toMatchObject({ state: 'complete', percent: 100, hostApps: [inside] });
    expect(await versionFor(inside, id, 'd1')).toBe('2.0.0.0');
    expect(await versionFor(inside, id)).toBe('2.0.0.0');
    expect(await versionFor(outside, id, 'd1')).toBe('1.0.0.0');
    expect(await versionFor(outside, id)).toBe('1.0.0.0');
    expect(await versionFor(outside, id, 'vip')).toBe('2.0.0.0');
    // The signatures are made for every authorised host app: a whitelisted device may be in any of them.
    expect(r.signing).toMatchObject({ state: 'signed', total: 2, done: 2 });

    const unknown = await admin.post(`/api/v1/mini-programs/${id}/packages/3.0.0.0/release`, {
      rollout: { percent: 10, hostApps: [{ workspaceId: 'rel', appId: 'ABCDEF0123456' }] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0].path).toBe('rollout.hostApps.0');
    expect((await history(id))[0].version).toBe('2.0.0.0'); // nothing changed
  });

  it('follows scheduled steps by the clock at request time; pause freezes the ramp and resume moves it on', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    await release(id, '1.0.0.0');
    const r = await release(id, '2.0.0.0', {
      rollout: {
        percent: 0,
        steps: [
          { percent: 100, at: clock.iso(30 * MINUTE) },
          { percent: 50, at: clock.iso(10 * MINUTE) },
        ],
      },
    });
    expect(r.steps).toEqual([
      { percent: 50, at: clock.iso(10 * MINUTE) },
      { percent: 100, at: clock.iso(30 * MINUTE) },
    ]);
    const devices = Array.from({ length: 400 }, (_, i) => `step-${i}`);
    const share = async () => {
      let n = 0;
      for (const d of devices) if ((await versionFor(h, id, d)) === '2.0.0.0') n++;
      return n / devices.length;
    };
    expect(await share()).toBe(0);
    clock.advance(10 * MINUTE);
    expect((await history(id))[0]).toMatchObject({ state: 'rolling-out', percent: 50 });
    const half = await share();
    expect(half).toBeGreaterThan(0.4);
    expect(half).toBeLessThan(0.6);

    const paused = await patch(id, r.releaseId, { paused: true });
    expect(paused.json()).toMatchObject({ state: 'paused', percent: 50 });
    clock.advance(40 * MINUTE); // past the 100 % step: frozen
    expect((await history(id))[0]).toMatchObject({ state: 'paused', percent: 50 });
    expect(await share()).toBe(half);
    const resumed = (await patch(id, r.releaseId, { paused: false })).json();
    // The step still ahead at the pause (20 minutes ahead) is moved by the 40 minutes the pause lasted.
    expect(resumed).toMatchObject({
      state: 'rolling-out',
      percent: 50,
      steps: [{ percent: 50 }, { percent: 100, at: clock.iso(20 * MINUTE) }],
    });
    clock.advance(20 * MINUTE);
    expect((await history(id))[0]).toMatchObject({ state: 'complete', percent: 100 });
    expect(await share()).toBe(1);
    expect(await versionFor(h, id)).toBe('2.0.0.0');
  });

  it('supersedes a release still rolling out; a complete one stays complete in the history', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    const v1 = await release(id, '1.0.0.0');
    const v2 = await release(id, '2.0.0.0', { rollout: { percent: 30 } });
    const v3 = await release(id, '3.0.0.0', { rollout: { percent: 0, devices: ['d-3'] } });
    // Devices outside the new rollout get the last complete version, not the superseded one.
    expect(v3.previousVersion).toBe('1.0.0.0');
    const states = Object.fromEntries((await history(id)).map((r) => [r.releaseId, [r.state, r.percent]]));
    expect(states).toEqual({ [v3.releaseId]: ['rolling-out', 0], [v2.releaseId]: ['superseded', 30], [v1.releaseId]: ['complete', 100] });
    expect(await versionFor(h, id, 'd-3')).toBe('3.0.0.0');
    for (let i = 0; i < 30; i++) expect(await versionFor(h, id, `x-${i}`)).toBe('1.0.0.0');
    // A superseded release can no longer be changed.
    const stale = await patch(id, v2.releaseId, { percent: 60 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('RELEASE_NOT_ACTIVE');
  });

  // Two transactions racing for real row locks: a PostgreSQL matter (SQLite serialises writers anyway).
  if (dialect === 'postgres')
    it('runs two releases of one mini program one after the other, even when both start at once: one current rollout', async () => {
      const h = await hostApp();
      const id = await miniProgram([h]);
      await release(id, '1.0.0.0');
      const waiting = async () =>
        Number(
          (
            await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock'`.execute(t.app.db)
          ).rows[0].n,
        );
      // Hold the releases table against writes (reads go on) until both releases have started and wait: without a
      // lock on the mini program both would read the same current release and both would become current rollouts.
      let answers: { statusCode: number }[] = [];
      await t.app.db.transaction().execute(async (trx) => {
        await sql`lock table releases in exclusive mode`.execute(trx);
        const pending = ['2.0.0.0', '3.0.0.0'].map((v) =>
          admin.post(`/api/v1/mini-programs/${id}/packages/${v}/release`, { rollout: { percent: 10 } }),
        );
        await expect.poll(waiting, { timeout: 20_000 }).toBe(2);
        void Promise.all(pending).then((a) => (answers = a));
      });
      await expect.poll(() => answers.length, { timeout: 20_000 }).toBe(2);
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
      expect((await history(id)).map((r) => r.state)).toEqual(['rolling-out', 'superseded', 'complete']);
    });

  it('puts the release mandatory flag and its note in the answers', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    await release(id, '1.0.0.0');
    const r = await release(id, '2.0.0.0', {
      rollout: { percent: 0, devices: ['m-1'] },
      mandatory: true,
      note: '  Fixes the payment crash ',
    });
    expect(r).toMatchObject({ mandatory: true, note: 'Fixes the payment crash' });
    const answer = async (deviceId: string) =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/client/v1/resources',
          payload: { ...h, platform: 'ios', clientVersion: '10.0', deviceId, miniPrograms: { [id]: '*' } },
        })
      ).json().resources[0];
    expect(await answer('m-1')).toMatchObject({ version: '2.0.0.0', mandatory: true });
    expect(await answer('m-2')).toMatchObject({ version: '1.0.0.0', mandatory: false });
  });

  it('answers 409 ROLLOUT_CANNOT_SHRINK to a lower percent, 404 to an unknown release, 400 to a step down', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    await release(id, '1.0.0.0');
    const r = await release(id, '2.0.0.0', { rollout: { percent: 20, steps: [{ percent: 40, at: clock.iso(MINUTE) }] } });
    clock.advance(MINUTE);
    const lower = await patch(id, r.releaseId, { percent: 30 }); // below the 40 % the step reached
    expect(lower.statusCode).toBe(409);
    expect(lower.json()).toMatchObject({ code: 'ROLLOUT_CANNOT_SHRINK', status: 409 });
    expect(lower.json().detail).toMatch(/40 %/);
    expect((await history(id))[0].percent).toBe(40);
    expect((await patch(id, '00000000-0000-4000-8000-000000000000', { percent: 50 })).json().code).toBe('NOT_FOUND');
    expect((await patch(id, r.releaseId, {})).statusCode).toBe(400);
    const stepDown = await admin.post(`/api/v1/mini-programs/${id}/packages/3.0.0.0/release`, {
      rollout: { percent: 20, steps: [{ percent: 10, at: clock.iso(MINUTE) }] },
    });
    expect(stepDown.statusCode).toBe(400);
    expect(stepDown.json().errors[0].path).toBe('rollout.steps.0.percent');
  });

  it('rolls back to the last complete version in one call; every host app gets it on its next call', async () => {
    const a = await hostApp();
    const b = await hostApp();
    const id = await miniProgram([a, b]);
    const none = await admin.post(`/api/v1/mini-programs/${id}/rollback`);
    expect(none.statusCode).toBe(409);
    expect(none.json().code).toBe('NOTHING_TO_ROLL_BACK_TO');
    await release(id, '1.0.0.0');
    const only = await admin.post(`/api/v1/mini-programs/${id}/rollback`, {});
    expect(only.statusCode).toBe(409);
    expect(only.json().code).toBe('NOTHING_TO_ROLL_BACK_TO');

    const v2 = await release(id, '2.0.0.0');
    const v3 = await release(id, '3.0.0.0', { rollout: { percent: 50, devices: ['w'] } });
    const back = await admin.post(`/api/v1/mini-programs/${id}/rollback`);
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ version: '2.0.0.0', state: 'complete', percent: 100, previousVersion: '3.0.0.0' });
    const items = await history(id);
    expect(items.find((r) => r.releaseId === v3.releaseId)).toMatchObject({ state: 'rolled-back', percent: 50 });
    for (const h of [a, b]) {
      expect(await versionFor(h, id, 'w')).toBe('2.0.0.0');
      expect(await versionFor(h, id)).toBe('2.0.0.0');
    }
    // Rolling back again goes past the rolled-back release to the complete one before.
    const again = (await admin.post(`/api/v1/mini-programs/${id}/rollback`)).json();
    expect(again).toMatchObject({ version: '1.0.0.0', state: 'complete' });
    expect((await history(id)).find((r) => r.releaseId === back.json().releaseId)).toMatchObject({ state: 'rolled-back' });
    expect(v2.state).toBe('complete');
    // A chosen version.
    const chosen = (await admin.post(`/api/v1/mini-programs/${id}/rollback`, { version: '2.0.0.0' })).json();
    expect(chosen).toMatchObject({ version: '2.0.0.0', state: 'complete' });
    expect(await versionFor(a, id)).toBe('2.0.0.0');
    expect((await admin.post(`/api/v1/mini-programs/${id}/rollback`, { version: '2.0.0.0' })).json().code).toBe('NOTHING_TO_ROLL_BACK_TO');
    expect((await admin.post(`/api/v1/mini-programs/${id}/rollback`, { version: '9.9.9.9' })).statusCode).toBe(404);
    expect((await audit('mini-program.rolled-back')).filter((e) => e.details.rolledBackReleaseId === v3.releaseId)).toHaveLength(1);
  });

  it('takes a mini program down for every host app until a version is released again', async () => {
    const a = await hostApp();
    const b = await hostApp();
    const id = await miniProgram([a, b]);
    const never = await admin.post(`/api/v1/mini-programs/${id}/take-down`);
    expect(never.statusCode).toBe(409);
    expect(never.json().code).toBe('RELEASE_NOT_ACTIVE');
    await release(id, '1.0.0.0');
    const r = await release(id, '2.0.0.0', { rollout: { percent: 50, devices: ['w'] } });
    const down = await admin.post(`/api/v1/mini-programs/${id}/take-down`);
    expect(down.statusCode).toBe(200);
    expect(down.json()).toMatchObject({ releaseId: r.releaseId, state: 'taken-down' });
    for (const h of [a, b]) {
      expect(await versionFor(h, id, 'w')).toBeNull();
      expect(await versionFor(h, id)).toBeNull();
    }
    expect(
      (await admin.get('/api/v1/mini-programs')).json().items.find((m: { miniProgramId: string }) => m.miniProgramId === id)
        .releasedVersion,
    ).toBeNull();
    // A new gray release after a take-down has no previous version: only its devices get anything.
    const again = await release(id, '3.0.0.0', { rollout: { percent: 0, devices: ['w'] } });
    expect(again.previousVersion).toBeNull();
    expect(await versionFor(a, id, 'w')).toBe('3.0.0.0');
    expect(await versionFor(a, id, 'other')).toBeNull();
    expect((await audit('mini-program.taken-down')).filter((e) => e.details.releaseId === r.releaseId)).toHaveLength(1);
  });

  it('leaves one audit event per call: release, raise, pause, resume, roll back, take down', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    const count = async () => (await admin.get(`/api/v1/audit-events?pageSize=1`)).json().total as number;
    const before = await count();
    await release(id, '1.0.0.0');
    const r = await release(id, '2.0.0.0', { rollout: { percent: 5 } });
    await patch(id, r.releaseId, { percent: 10 });
    await patch(id, r.releaseId, { paused: true });
    await patch(id, r.releaseId, { paused: false });
    await admin.post(`/api/v1/mini-programs/${id}/rollback`);
    await admin.post(`/api/v1/mini-programs/${id}/take-down`);
    expect((await count()) - before).toBe(7);
    const changed = (await audit('mini-program.rollout.changed')).filter((e) => e.details.releaseId === r.releaseId);
    expect(changed.map((e) => e.details.state)).toEqual(['rolling-out', 'paused', 'rolling-out']);
  });

  it('keeps serving the previous version to a host app while the new one cannot be signed, and shows why on the release', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    await release(id, '1.0.0.0');
    const v2 = (await admin.get(`/api/v1/mini-programs/${id}/packages`))
      .json()
      .items.find((p: { version: string }) => p.version === '2.0.0.0');
    const stored = path.join(t.dataDir, 'packages', v2.sha256.slice(0, 2), `${v2.sha256}.zip`);
    expect(fs.existsSync(stored)).toBe(true);
    const moved = `${stored}.away`;
    fs.renameSync(stored, moved); // the package file is gone from this instance's store
    const r = await release(id, '2.0.0.0');
    expect(r.state).toBe('complete');
    expect(r.signing).toMatchObject({ state: 'failed', total: 1, done: 0 });
    expect(r.signing.reason).toMatch(/package file of version 2\.0\.0\.0 is missing/);
    expect(await versionFor(h, id, 'any')).toBe('1.0.0.0');
    expect(await versionFor(h, id)).toBe('1.0.0.0');
    // The package comes back; the next signing attempt (here the start-up check) makes the signatures.
    fs.renameSync(moved, stored);
    t = await t.restart();
    admin = new Client(t.app, admin.cookie);
    await expect.poll(async () => (await history(id))[0].signing.state, { timeout: 15_000 }).toBe('signed');
    expect(await versionFor(h, id)).toBe('2.0.0.0');
  });

  it('answers the client API with signatures that still verify for a version served as the previous one', async () => {
    const h = await hostApp();
    const id = await miniProgram([h]);
    await release(id, '1.0.0.0');
    await release(id, '2.0.0.0', { rollout: { percent: 0 } });
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { ...h, platform: 'android', clientVersion: '10.0', deviceId: 'prev', miniPrograms: { [id]: '*' } },
    });
    const [r] = res.json().resources;
    expect(r.version).toBe('1.0.0.0');
    const bytes = (await t.app.inject({ method: 'GET', url: new URL(r.packageUrl).pathname })).rawPayload;
    const pem = (await admin.get(`/api/v1/host-apps/${h.workspaceId}/${h.appId}/dev-config/public-key`)).body;
    expect(verify('sha256', bytes, pem, Buffer.from(r.signature, 'base64'))).toBe(true);
    const text = `mpop-binding-v1\n${h.workspaceId}\n${h.appId}\n${id}\n1.0.0.0\n${r.sha256}`;
    expect(verify('sha256', Buffer.from(text), pem, Buffer.from(r.bindingSignature, 'base64'))).toBe(true);
  });

  it('refuses a malformed device ID in the client API, and lets operators only change releases', async () => {
    const h = await hostApp();
    const bad = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { ...h, platform: 'android', clientVersion: '10.0', deviceId: 'has space', miniPrograms: {} },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/client/v1/resources',
          payload: { ...h, platform: 'android', clientVersion: '10.0', deviceId: 'x'.repeat(129), miniPrograms: {} },
        })
      ).statusCode,
    ).toBe(400);
    const id = await miniProgram([h]);
    const viewer = await userWithRole(admin, 'viewer');
    expect((await viewer.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).statusCode).toBe(403);
    expect((await viewer.get(`/api/v1/mini-programs/${id}/releases`)).statusCode).toBe(200);
  });
});

describe('a short real step, end to end (the wall clock)', () => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp('sqlite');
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  it('completes a rollout when its step time passes, with no request to the admin API', async () => {
    const host = (await admin.post('/api/v1/host-apps', { name: 'Real Step', workspaceId: 'real' })).json();
    await admin.put(`/api/v1/host-apps/real/${host.appId}/dev-config`, devConfigForm('real.example.com', sharedKey().pkcs8));
    const id = (await admin.post('/api/v1/mini-programs', { name: 'Real Step MP' })).json().miniProgramId;
    for (const version of ['1.0.0.0', '2.0.0.0'])
      await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, await miniProgramZip(`pages/${version}/i`)));
    await admin.put(`/api/v1/host-apps/real/${host.appId}/mini-programs/${id}`);
    await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`);
    const stepAt = Date.now() + 2000;
    const rel = await admin.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/release`, {
      rollout: { percent: 0, steps: [{ percent: 100, at: new Date(stepAt).toISOString() }] },
    });
    expect(rel.json()).toMatchObject({ state: 'rolling-out', percent: 0 });
    const ask = async () =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/client/v1/resources',
          payload: { appId: host.appId, workspaceId: 'real', platform: 'android', clientVersion: '1', miniPrograms: {} },
        })
      ).json().resources[0].version;
    if (Date.now() < stepAt - 200) expect(await ask()).toBe('1.0.0.0');
    await expect.poll(ask, { timeout: 20_000, interval: 100 }).toBe('2.0.0.0');
    expect(Date.now()).toBeGreaterThanOrEqual(stepAt);
    expect((await admin.get(`/api/v1/mini-programs/${id}/releases`)).json().items[0]).toMatchObject({ state: 'complete', percent: 100 });
  });
});
