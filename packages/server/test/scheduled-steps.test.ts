import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@mpop/contracts';
import { buildApp } from '../src/app.js';
import { stepsMoved } from '../src/modules/releases/rollout.js';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

/**
 * A scheduled rollout step changes the gate's answer when its time comes, with no write: the scheduled-steps job
 * raises the generation of the host apps the release reaches, once per step, on every instance and across restarts
 * (releases/scheduled-steps.service.ts).
 */

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const ENV = { MPOP_RATE_LIMIT_PER_DEVICE: '0', MPOP_RATE_LIMIT_PER_ADDRESS: '0' };
/** Long enough that the job only runs when a test calls tick() (and once at start). */
const BY_HAND = 3600_000;

describe('stepsMoved (the rule the job raises the generation by)', () => {
  const ramp = { state: 'rolling-out' as const, bp: 1000, steps: [{ bp: 5000, at: T0 + HOUR }], pausedAt: null };

  it('is true once a step raised the percent since the last raise, and false again after it', () => {
    expect(stepsMoved(ramp, T0, T0 + HOUR - 1)).toBe(false);
    expect(stepsMoved(ramp, T0, T0 + HOUR)).toBe(true);
    expect(stepsMoved(ramp, null, T0 + HOUR)).toBe(true); // a release made before the column: caught up once
    expect(stepsMoved(ramp, T0 + HOUR, T0 + 2 * HOUR)).toBe(false);
  });

  it('is false for a step that raises nothing (the rollout was raised past it), a paused ramp, an ended release', () => {
    expect(stepsMoved({ ...ramp, bp: 6000 }, T0, T0 + HOUR)).toBe(false);
    expect(stepsMoved({ ...ramp, state: 'paused', pausedAt: T0 }, T0, T0 + HOUR)).toBe(false);
    expect(stepsMoved({ ...ramp, state: 'superseded' }, T0, T0 + HOUR)).toBe(false);
  });
});

/** Two host apps with their configuration, a mini program with 1.0.0.0 released to both and 2.0.0.0 uploaded. */
async function scene(app: TestApp['app'], name: string) {
  const admin = await Client.signIn(app);
  const workspaceId = 'steps';
  const hosts: string[] = [];
  const id = (await admin.post('/api/v1/mini-programs', { name: `${name} MP` })).json().miniProgramId as string;
  for (const version of ['1.0.0.0', '2.0.0.0']) {
    const up = await admin.post(
      `/api/v1/mini-programs/${id}/packages`,
      packageForm({ version }, await miniProgramZip(`pages/v${version}/index`)),
    );
    expect(up.statusCode, up.body).toBe(201);
  }
  for (const suffix of ['A', 'B']) {
    const appId = (await admin.post('/api/v1/host-apps', { name: `${name} ${suffix}`, workspaceId })).json().appId as string;
    const dev = await admin.put(
      `/api/v1/host-apps/${workspaceId}/${appId}/dev-config`,
      devConfigForm(`${appId.toLowerCase()}.example.com`, sharedKey().pkcs8),
    );
    expect(dev.statusCode, dev.body).toBe(200);
    expect((await admin.put(`/api/v1/host-apps/${workspaceId}/${appId}/mini-programs/${id}`)).statusCode).toBe(200);
    hosts.push(appId);
  }
  expect((await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).statusCode).toBe(200);

  /** The gate's answer to one device of a host app: the version it gets and the manifest's generation. */
  const ask = async (appId: string, deviceId = 'device-1', on = app) => {
    const res = await on.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId, platform: 'android', clientVersion: '1.0', deviceId, miniPrograms: {} },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { resources: { version: string }[]; manifest: string };
    return { version: body.resources[0]?.version, generation: (JSON.parse(body.manifest) as Manifest).generation };
  };
  return {
    admin,
    id,
    hosts,
    ask,
    /** The generation stored for a host app (what the next view is built with). */
    stored: async (appId: string) => (await admin.get(`/api/v1/host-apps/${workspaceId}/${appId}/manifest`)).json().generation as number,
    async release(rollout: Record<string, unknown>) {
      const res = await admin.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/release`, { rollout });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().releaseId as string;
    },
    patch: (releaseId: string, payload: Record<string, unknown>) =>
      admin.request({ method: 'PATCH', url: `/api/v1/mini-programs/${id}/releases/${releaseId}`, payload }),
    ref: (appId: string) => ({ workspaceId, appId }),
  };
}

describe.each(dialects)('scheduled rollout steps on %s (a controllable clock)', (dialect) => {
  let now = T0;
  let t: TestApp;
  const build = { clock: () => now, scheduledStepsIntervalMs: BY_HAND };
  beforeAll(async () => {
    t = await startApp(dialect, ENV, build);
  });
  afterAll(() => t.destroy());

  it("raises the generation of the release's host apps once per step, refreshes the gate, and catches up after a restart", async () => {
    now = T0;
    const s = await scene(t.app, 'Clock');
    const [a, b] = s.hosts;
    // Scoped to host app A: B is authorised for the mini program but out of the release's reach.
    const releaseId = await s.release({
      percent: 1,
      hostApps: [s.ref(a)],
      steps: [
        { percent: 50, at: new Date(T0 + HOUR).toISOString() },
        { percent: 100, at: new Date(T0 + 2 * HOUR).toISOString() },
      ],
    });
    const a0 = await s.ask(a);
    const b0 = await s.stored(b);
    expect(await t.app.services.scheduledSteps.tick()).toEqual([]);

    now = T0 + HOUR;
    const first = await t.app.services.scheduledSteps.tick();
    expect(first).toEqual([{ releaseId, miniProgramId: s.id, generation: expect.any(Number) }]);
    expect(await s.stored(a)).toBe(first[0].generation);
    expect(first[0].generation).toBeGreaterThan(a0.generation);
    // The gate's cached view was dropped: its answers carry the new generation at once.
    expect((await s.ask(a)).generation).toBe(first[0].generation);
    expect(await s.stored(b)).toBe(b0);
    // Once per step: looking again changes nothing.
    expect(await t.app.services.scheduledSteps.tick()).toEqual([]);
    expect(await s.stored(a)).toBe(first[0].generation);

    // The server is down when the last step's time comes: the next start raises it, once.
    now = T0 + 3 * HOUR;
    t = await t.restart(build);
    const admin = await Client.signIn(t.app);
    const generationOfA = async () => (await admin.get(`/api/v1/host-apps/steps/${a}/manifest`)).json().generation as number;
    await expect.poll(generationOfA, { timeout: 10_000 }).toBeGreaterThan(first[0].generation);
    const caughtUp = await generationOfA();
    expect(await t.app.services.scheduledSteps.tick()).toEqual([]);
    expect(await generationOfA()).toBe(caughtUp);
    const after = await s.ask(a, 'device-1', t.app);
    expect(after).toEqual({ version: '2.0.0.0', generation: caughtUp });
  });

  it('raises nothing for a step a person already covered: a raise past it, a pause over it, the resume after it', async () => {
    now = T0 + 10 * HOUR;
    const s = await scene(t.app, 'Covered');
    const [a] = s.hosts;
    const step = (hours: number, percent: number) => ({ percent, at: new Date(T0 + hours * HOUR).toISOString() });
    const releaseId = await s.release({ percent: 1, steps: [step(11, 20), step(12, 40), step(14, 80)] });

    // Raised by hand to 30 % before the 20 % step: that step moves nothing when it comes.
    expect((await s.patch(releaseId, { percent: 30 })).statusCode).toBe(200);
    const raised = await s.stored(a);
    now = T0 + 11 * HOUR;
    expect(await t.app.services.scheduledSteps.tick()).toEqual([]);
    expect(await s.stored(a)).toBe(raised);

    // Paused before the 40 % step: nothing while paused; the resume raises the generation itself, and the job adds
    // nothing for it; the step, moved by the pause's length, then raises it once.
    expect((await s.patch(releaseId, { paused: true })).statusCode).toBe(200);
    now = T0 + 12.5 * HOUR;
    expect(await t.app.services.scheduledSteps.tick()).toEqual([]);
    now = T0 + 13 * HOUR; // paused for 2 h: the 40 % step is due at 14 h, the 80 % one at 16 h
    expect((await s.patch(releaseId, { paused: false })).statusCode).toBe(200);
    const resumed = await s.stored(a);
    expect(await t.app.services.scheduledSteps.tick()).toEqual([]);
    now = T0 + 14 * HOUR;
    expect(await t.app.services.scheduledSteps.tick()).toHaveLength(1);
    expect(await s.stored(a)).toBeGreaterThan(resumed);
    expect(await t.app.services.scheduledSteps.tick()).toEqual([]);
  });
});

describe.each(dialects)('scheduled rollout steps on %s (the real clock)', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(dialect, ENV); // the job at its default pace
  });
  afterAll(() => t.destroy());

  it("raises the generation within seconds of a step's time, without anyone calling it", async () => {
    const s = await scene(t.app, 'Real');
    const [a] = s.hosts;
    const at = Date.now() + 1500;
    await s.release({ percent: 0, steps: [{ percent: 100, at: new Date(at).toISOString() }] });
    const before = await s.ask(a, 'device-2');
    expect(before.version).toBe('1.0.0.0');
    // Waits for the state: the answer carries a higher generation, and every device gets 2.0.0.0.
    await expect
      .poll(async () => (await s.ask(a, 'device-2')).generation, { timeout: 10_000, interval: 50 })
      .toBeGreaterThan(before.generation);
    expect(Date.now() - at).toBeLessThan(5000);
    expect((await s.ask(a, 'device-2')).version).toBe('2.0.0.0');
    // Raised once: the counter moved by one (nothing else changed meanwhile), and looking again raises nothing.
    const after = await s.stored(a);
    expect(after).toBe(before.generation + 1);
    expect(await t.app.services.scheduledSteps.tick()).toEqual([]);
    expect(await s.stored(a)).toBe(after);
  });
});

describe.runIf(dialects.includes('postgres'))('scheduled rollout steps with two instances on one PostgreSQL', () => {
  let now = T0;
  let a: TestApp;
  let b: Awaited<ReturnType<typeof buildApp>>;
  const build = { clock: () => now, scheduledStepsIntervalMs: BY_HAND };
  beforeAll(async () => {
    a = await startApp('postgres', ENV, build);
    b = await buildApp(a.config, build);
  });
  afterAll(async () => {
    await b?.close();
    await a.destroy();
  });

  it('raises the generation once per step, however many instances look at the same time, and both gates answer with it', async () => {
    const s = await scene(a.app, 'Twins');
    const [host] = s.hosts;
    const releaseId = await s.release({
      percent: 1,
      steps: [
        { percent: 30, at: new Date(T0 + HOUR).toISOString() },
        { percent: 60, at: new Date(T0 + 2 * HOUR).toISOString() },
      ],
    });
    const g0 = await s.stored(host);
    expect((await s.ask(host, 'device-1', b)).generation).toBe(g0);
    for (const [i, hours] of [1, 2].entries()) {
      now = T0 + hours * HOUR;
      const looks = [a.app, b, a.app, b, a.app, b].map((app) => app.services.scheduledSteps.tick());
      const applied = (await Promise.all(looks)).flat();
      expect(applied.map((x) => x.releaseId)).toEqual([releaseId]);
      expect(await s.stored(host)).toBe(g0 + i + 1);
      await expect.poll(async () => (await s.ask(host, 'device-1', b)).generation, { timeout: 5000 }).toBe(g0 + i + 1);
      expect((await s.ask(host, 'device-1', a.app)).generation).toBe(g0 + i + 1);
    }
  });

  it('raises once even when two instances apply the same step at once without the advisory lock (the workers of one SQLite)', async () => {
    const s = await scene(a.app, 'Unlocked');
    const [host] = s.hosts;
    const releaseId = await s.release({ percent: 1, steps: [{ percent: 40, at: new Date(now + HOUR).toISOString() }] });
    const g0 = await s.stored(host);
    now += HOUR;
    // The lock-free step of the job (what runs on SQLite): re-judged under the mini program's lock.
    type Unlocked = { apply(releaseId: string, now: number): Promise<unknown> };
    const apply = (app: typeof b) => (app.services.scheduledSteps as unknown as Unlocked).apply(releaseId, now);
    const results = await Promise.all([apply(a.app), apply(b), apply(a.app), apply(b)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await s.stored(host)).toBe(g0 + 1);
  });
});
