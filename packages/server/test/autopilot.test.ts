import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutopilotConfig, Release } from '@mpop/contracts';
import { buildApp } from '../src/app.js';
import type { AppError } from '../src/lib/app-error.js';
import { checkAutopilot, decided, judge, startAutopilot, type StepFigures } from '../src/modules/releases/autopilot.js';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

const MIN = 60_000;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const CONFIG: AutopilotConfig = { steps: [10, 50, 100], minMinutes: 30, minDevices: 20, maxFailureRate: 0.05, onFailure: 'pause' };
const figures = (launched: number, failed: number, both = 0): StepFigures => ({ launched, failed, reported: launched + failed - both });

describe('the autopilot rules (a controllable clock)', () => {
  const a = startAutopilot(CONFIG, 0, T0, 'released');

  it('advances once the step has lasted minMinutes and minDevices devices launched with few failures', () => {
    expect(judge(a, '2.0.0.0', figures(20, 1), T0 + 30 * MIN)).toMatchObject({ kind: 'advance', toStep: 1 });
    const next = decided(a, 'advanced', 'why', figures(20, 1), T0 + 30 * MIN, 1);
    expect(next.status).toMatchObject({ step: 1, since: new Date(T0 + 30 * MIN).toISOString(), decision: 'advanced', devices: 20 });
    expect(next.decisions).toEqual([expect.objectContaining({ step: 0, decision: 'advanced', devices: 20, failureRate: 0.0476 })]);
  });

  it('does not advance before minMinutes, however many devices launched', () => {
    expect(judge(a, '2.0.0.0', figures(5000, 0), T0 + 29 * MIN)).toMatchObject({
      kind: 'wait',
      reason: expect.stringContaining('1 to go'),
    });
  });

  it('does not advance before minDevices devices launched, however long it waited', () => {
    expect(judge(a, '2.0.0.0', figures(19, 0), T0 + 600 * MIN)).toMatchObject({
      kind: 'wait',
      reason: expect.stringContaining('19 of the 20'),
    });
  });

  it('pauses or rolls back above the limit at once (before minMinutes), but only once minDevices devices reported', () => {
    expect(judge(a, '2.0.0.0', figures(15, 5), T0 + MIN)).toMatchObject({ kind: 'stop', decision: 'paused' });
    expect(judge({ ...a, onFailure: 'rollback' }, '2.0.0.0', figures(15, 5), T0 + MIN)).toMatchObject({
      kind: 'stop',
      decision: 'rolled-back',
      reason: expect.stringContaining('25 %'),
    });
    // 10 devices failed, but only 10 reported: not yet judged.
    expect(judge(a, '2.0.0.0', figures(0, 10), T0 + MIN)).toMatchObject({ kind: 'wait' });
    // Exactly at the limit is healthy: 1 of 20 is 5 %.
    expect(judge({ ...a, minDevices: 19 }, '2.0.0.0', figures(19, 1), T0 + 30 * MIN)).toMatchObject({ kind: 'advance' });
  });

  it('refuses steps that do not rise or do not end at 100', () => {
    const path = (steps: number[]) => {
      try {
        checkAutopilot({ ...CONFIG, steps });
        return 'ok';
      } catch (err) {
        return (err as AppError).errors?.[0]?.path;
      }
    };
    expect(path([1, 10, 100])).toBe('ok');
    expect(path([10, 10, 100])).toBe('autopilot.steps.1');
    expect(path([50, 10, 100])).toBe('autopilot.steps.1');
    expect(path([10, 50])).toBe('autopilot.steps.1');
  });
});

/** A host app, a mini program with 1.0.0.0 released and 2.0.0.0 uploaded, and a webhook that hears releases. */
async function scene(t: TestApp, name: string) {
  const admin = await Client.signIn(t.app);
  const workspaceId = 'auto';
  const appId = (await admin.post('/api/v1/host-apps', { name, workspaceId })).json().appId as string;
  const dev = await admin.put(
    `/api/v1/host-apps/${workspaceId}/${appId}/dev-config`,
    devConfigForm(`${appId.toLowerCase()}.example.com`, sharedKey().pkcs8),
  );
  expect(dev.statusCode, dev.body).toBe(200);
  const id = (await admin.post('/api/v1/mini-programs', { name: `${name} MP` })).json().miniProgramId as string;
  for (const version of ['1.0.0.0', '2.0.0.0']) {
    const up = await admin.post(
      `/api/v1/mini-programs/${id}/packages`,
      packageForm({ version }, await miniProgramZip(`pages/v${version}/index`)),
    );
    expect(up.statusCode, up.body).toBe(201);
  }
  await admin.put(`/api/v1/host-apps/${workspaceId}/${appId}/mini-programs/${id}`);
  expect((await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).statusCode).toBe(200);
  const hook = await admin.post('/api/v1/webhooks', {
    url: 'http://127.0.0.1:9/hook',
    events: ['release.advanced', 'release.paused', 'release.rolled-back'],
  });
  expect(hook.statusCode, hook.body).toBe(201);

  const version = async (deviceId: string, app = t.app) => {
    const res = await app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId, platform: 'android', clientVersion: '1.0', deviceId, miniPrograms: { [id]: '*' } },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().resources[0]?.version as string | undefined;
  };
  return {
    admin,
    id,
    appId,
    version,
    async release(autopilot: AutopilotConfig): Promise<Release> {
      const res = await admin.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/release`, { autopilot });
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    },
    /** Device IDs the gate gives 2.0.0.0 (served) and 1.0.0.0 (not served), `n` of each. */
    async devices(n: number, prefix = 'dev') {
      const served: string[] = [];
      const unserved: string[] = [];
      for (let i = 0; served.length < n || unserved.length < n; i++) {
        const d = `${prefix}-${i}`;
        ((await version(d)) === '2.0.0.0' ? served : unserved).push(d);
      }
      return { served: served.slice(0, n), unserved: unserved.slice(0, n) };
    },
    async report(deviceId: string, type: 'launch' | 'failure', v = '2.0.0.0', app = t.app, reason?: string) {
      const res = await app.inject({
        method: 'POST',
        url: '/client/v1/events',
        payload: {
          appId,
          workspaceId,
          deviceId,
          events: [{ type, miniProgramId: id, version: v, ...(reason ? { detail: { reason } } : {}) }],
        },
      });
      expect(res.statusCode, res.body).toBe(202);
      return res.json();
    },
    async current(): Promise<Release> {
      return (await admin.get(`/api/v1/mini-programs/${id}/releases`)).json().items[0];
    },
    async byId(releaseId: string): Promise<Release> {
      return (await admin.get(`/api/v1/mini-programs/${id}/releases`)).json().items.find((r: Release) => r.releaseId === releaseId);
    },
    /** The payloads of the webhook deliveries recorded for this mini program. */
    async webhooks(app = t.app) {
      // One row per subscribed webhook (each scene adds one): one event per message ID.
      const rows = await app.db.selectFrom('webhookDeliveries').select(['messageId', 'payload']).orderBy('id').execute();
      const events = new Map(rows.map((r) => [r.messageId, JSON.parse(r.payload) as { type: string; data: Record<string, unknown> }]));
      return [...events.values()].filter((p) => p.data.miniProgramId === id);
    },
    async audit() {
      const res = await admin.get('/api/v1/audit-events?pageSize=100');
      return (res.json().items as { actor: string; action: string; target: string; details?: Record<string, unknown> }[]).filter(
        (e) => e.target === `mini-program:${id}`,
      );
    },
  };
}

const ENV = {
  MPOP_RATE_LIMIT_PER_DEVICE: '0',
  MPOP_RATE_LIMIT_PER_ADDRESS: '0',
  MPOP_EVENTS_DEVICES_PER_ADDRESS: '0', // the fleet below reports from one address
  MPOP_WEBHOOK_ALLOW_PRIVATE: '1',
};

/** Waits until `check` passes (retried every 50 ms), for at most `ms`. */
async function waitFor<T>(check: () => T | Promise<T>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe.each(dialects)('autopilot through buildApp() on %s (a controllable clock)', (dialect) => {
  let now = T0;
  let t: TestApp;
  /** The decisions one look takes about this release (the other tests' releases are looked at too). */
  const tick = async (releaseId: string) => (await t.app.services.autopilot.tick()).filter((d) => d.releaseId === releaseId);
  beforeAll(async () => {
    // A long interval: these tests take each look themselves (tick), at the clock's time.
    t = await startApp(dialect, ENV, { clock: () => now, autopilotIntervalMs: 3600_000 });
  });
  afterAll(() => t.destroy());

  it('advances on healthy launches of served devices; unserved devices and unknown versions do not count; audited and sent as the autopilot', async () => {
    const s = await scene(t, 'Healthy');
    const rel = await s.release({ steps: [20, 60, 100], minMinutes: 0, minDevices: 3, maxFailureRate: 0.2, onFailure: 'pause' });
    expect(rel).toMatchObject({
      state: 'rolling-out',
      percent: 20,
      autopilot: { steps: [20, 60, 100], status: { step: 0, decision: 'waiting' } },
    });
    const { served, unserved } = await s.devices(3);

    // Devices the gate gives 1.0.0.0 that claim 2.0.0.0, and a version never uploaded: not counted.
    for (const d of unserved) await s.report(d, 'launch');
    expect(await s.report(served[0], 'launch', '9.9.9.9')).toEqual({ accepted: 0, ignored: 1 });
    expect(await tick(rel.releaseId)).toEqual([]);
    expect((await s.current()).autopilot?.status).toMatchObject({ step: 0, devices: 0, decision: 'waiting' });

    for (const d of served.slice(0, 2)) await s.report(d, 'launch');
    expect(await tick(rel.releaseId)).toEqual([]);
    expect((await s.current()).autopilot?.status.devices).toBe(2);
    await s.report(served[2], 'launch');
    now += 1000;
    expect(await tick(rel.releaseId)).toMatchObject([{ decision: 'advanced' }]);

    const after = await s.current();
    expect(after).toMatchObject({ releaseId: rel.releaseId, state: 'rolling-out', percent: 60 });
    expect(after.autopilot?.status).toMatchObject({ step: 1, decision: 'advanced', devices: 0, since: new Date(now).toISOString() });
    expect(after.autopilot?.decisions).toEqual([expect.objectContaining({ step: 0, decision: 'advanced', devices: 3, failureRate: 0 })]);
    const audit = (await s.audit()).find((e) => e.action === 'mini-program.rollout.changed');
    expect(audit).toMatchObject({
      actor: 'autopilot',
      details: { fromPercent: 20, percent: 60, reason: expect.stringContaining('moved to 60 %') },
    });
    expect((await s.webhooks()).map((w) => [w.type, w.data.actor])).toEqual([['release.advanced', 'autopilot']]);

    // A launch counted in the first step does not count in the second: the step counts from its start.
    expect(await tick(rel.releaseId)).toEqual([]);
  });

  it('pauses at once above the failure rate (before minMinutes), once minDevices devices reported; adoption shows failures by reason', async () => {
    const s = await scene(t, 'Failing');
    const rel = await s.release({ steps: [30, 100], minMinutes: 60, minDevices: 4, maxFailureRate: 0.25, onFailure: 'pause' });
    const { served } = await s.devices(4);
    await s.report(served[0], 'launch');
    await s.report(served[1], 'failure', '2.0.0.0', t.app, 'white screen');
    await s.report(served[2], 'failure', '2.0.0.0', t.app, 'white screen');
    expect(await tick(rel.releaseId)).toEqual([]); // 3 devices reported, 4 needed
    await s.report(served[3], 'launch');
    expect(await tick(rel.releaseId)).toMatchObject([{ decision: 'paused' }]);
    const after = await s.byId(rel.releaseId);
    expect(after).toMatchObject({ state: 'paused', percent: 30, autopilot: { status: { decision: 'paused', failureRate: 0.5 } } });
    expect(after.autopilot?.status.reason).toMatch(/50 %.*above the limit of 25 %/);
    expect((await s.webhooks()).map((w) => [w.type, w.data.actor])).toEqual([['release.paused', 'autopilot']]);
    // A paused release waits for a person: nothing more is decided.
    expect(await tick(rel.releaseId)).toEqual([]);

    const adoption = (await s.admin.get(`/api/v1/mini-programs/${s.id}/adoption`)).json();
    expect(adoption.failures).toEqual([{ version: '2.0.0.0', reason: 'white screen', count: 2 }]);
  });

  it('rolls back above the failure rate: every device gets the earlier version again', async () => {
    const s = await scene(t, 'Rolled');
    const rel = await s.release({ steps: [50, 100], minMinutes: 0, minDevices: 2, maxFailureRate: 0.1, onFailure: 'rollback' });
    const { served } = await s.devices(2);
    for (const d of served) await s.report(d, 'failure');
    expect(await tick(rel.releaseId)).toMatchObject([{ decision: 'rolled-back' }]);
    expect(await s.byId(rel.releaseId)).toMatchObject({ state: 'rolled-back', autopilot: { status: { decision: 'rolled-back' } } });
    expect(await s.version(served[0])).toBe('1.0.0.0');
    expect((await s.audit()).find((e) => e.action === 'mini-program.rolled-back')).toMatchObject({ actor: 'autopilot' });
    expect((await s.webhooks()).map((w) => w.type)).toEqual(['release.rolled-back']);
  });

  it('waits minMinutes with the clock, and carries on after a restart mid-step', async () => {
    const s = await scene(t, 'Patient');
    const rel = await s.release({ steps: [40, 100], minMinutes: 10, minDevices: 2, maxFailureRate: 0.5, onFailure: 'pause' });
    const { served } = await s.devices(2);
    for (const d of served) await s.report(d, 'launch');
    expect(await tick(rel.releaseId)).toEqual([]);
    now += 9 * MIN;
    expect(await tick(rel.releaseId)).toEqual([]);

    t = await t.restart();
    now += MIN;
    expect(await tick(rel.releaseId)).toMatchObject([{ decision: 'completed' }]);
    const admin = await Client.signIn(t.app);
    const after = (await admin.get(`/api/v1/mini-programs/${s.id}/releases`)).json().items[0];
    expect(after).toMatchObject({ state: 'complete', percent: 100, autopilot: { status: { decision: 'completed', step: 1 } } });
  });

  it('is set on a running release with PATCH, starts from the step the rollout is in, and refuses steps that do not rise to 100', async () => {
    const s = await scene(t, 'Handed');
    const rel = (await s.admin.post(`/api/v1/mini-programs/${s.id}/packages/2.0.0.0/release`, { rollout: { percent: 15 } })).json();
    const patch = (payload: unknown) =>
      s.admin.request({ method: 'PATCH', url: `/api/v1/mini-programs/${s.id}/releases/${rel.releaseId}`, payload: payload as object });
    const bad = await patch({ autopilot: { steps: [10, 50], minMinutes: 0, minDevices: 1, maxFailureRate: 0.1, onFailure: 'pause' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'autopilot.steps.1' }] });
    const ok = await patch({ autopilot: { steps: [10, 50, 100], minMinutes: 5, minDevices: 1, maxFailureRate: 0.1, onFailure: 'pause' } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ percent: 15, autopilot: { status: { step: 0, decision: 'waiting' } } });
    expect((await patch({ autopilot: null })).json()).toMatchObject({ percent: 15, autopilot: null });
    const mixed = await s.admin.post(`/api/v1/mini-programs/${s.id}/packages/2.0.0.0/release`, {
      rollout: { percent: 5 },
      autopilot: { steps: [10, 100], minMinutes: 0, minDevices: 1, maxFailureRate: 0.1, onFailure: 'pause' },
    });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().errors[0].path).toBe('rollout.percent');
  });
});

describe('autopilot with its own loop (minMinutes 0, real events, SQLite)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', ENV, { autopilotIntervalMs: 200 });
  });
  afterAll(() => t.destroy());

  it('advances step by step to 100 % as served devices launch, without anyone calling it', async () => {
    const s = await scene(t, 'Loop');
    const rel = await s.release({ steps: [30, 70, 100], minMinutes: 0, minDevices: 2, maxFailureRate: 0.5, onFailure: 'pause' });
    const first = await s.devices(2, 'a');
    for (const d of first.served) await s.report(d, 'launch');
    await waitFor(async () => expect(await s.byId(rel.releaseId)).toMatchObject({ percent: 70 }));
    const second = await s.devices(2, 'b');
    for (const d of second.served) await s.report(d, 'launch');
    const done = await waitFor(async () => {
      const r = await s.byId(rel.releaseId);
      expect(r).toMatchObject({ state: 'complete', percent: 100 });
      return r;
    });
    expect(done.autopilot?.decisions.map((d) => d.decision)).toEqual(['advanced', 'completed']);
  });
});

describe.runIf(dialects.includes('postgres'))('autopilot with two instances on one PostgreSQL', () => {
  let a: TestApp;
  let b: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    a = await startApp('postgres', ENV, { autopilotIntervalMs: 3600_000 });
    b = await buildApp(a.config, { autopilotIntervalMs: 3600_000 });
  });
  afterAll(async () => {
    await b?.close();
    await a.destroy();
  });

  it('takes one decision once, whichever instance heard the devices and however many look at the same time', async () => {
    const s = await scene(a, 'Twins');
    const rel = await s.release({ steps: [20, 60, 100], minMinutes: 0, minDevices: 2, maxFailureRate: 0.5, onFailure: 'pause' });
    const { served } = await s.devices(2);
    await s.report(served[0], 'launch', '2.0.0.0', a.app);
    await s.report(served[1], 'launch', '2.0.0.0', b);
    // Each instance writes what its devices told it; then both look at once, twice each.
    await Promise.all([a.app.services.autopilotRecorder.flush(), b.services.autopilotRecorder.flush()]);
    const looks = [a.app, b, a.app, b].map((app) => app.services.autopilot.tick());
    const taken = (await Promise.all(looks)).flat().filter((d) => d.releaseId === rel.releaseId);
    const after = await s.byId(rel.releaseId);
    expect(after).toMatchObject({ percent: 60, state: 'rolling-out' });
    expect(after.autopilot?.decisions.map((d) => d.decision)).toEqual(['advanced']);
    expect(taken).toHaveLength(1);
    expect((await s.audit()).filter((e) => e.actor === 'autopilot')).toHaveLength(1);
    expect((await s.webhooks()).filter((w) => w.type === 'release.advanced')).toHaveLength(1);
  });
});
