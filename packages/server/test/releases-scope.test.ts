import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohort } from '../src/modules/releases/rollout.js';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { rsaKey, sharedKey } from './helpers/keys.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

/**
 * Host-app scope of releases, through the real gate (POST /client/v1/resources): a release, a gray release, a
 * rollback or a take-down for host app A, for B, or for every host app changes what each host app's devices get
 * exactly as its scope says, and nothing else.
 */

type Host = { workspaceId: string; appId: string };
type Scope = 'A' | 'B' | 'all';
interface Release {
  releaseId: string;
  version: string;
  previousVersion: string | null;
  state: string;
  hostApps: Host[] | null;
}

/** Enough devices that a 50 % rollout has some on each side (the chance that it does not: 2 × 2⁻⁴⁰). */
const DEVICES = Array.from({ length: 40 }, (_, i) => `dev-${i}`);

/** What one host app's devices get: one version for all, a rollout split by cohort, or nothing. */
type Line = { all: string | null } | { rollout: () => string; percent: number; next: string; other: string | null };

describe.each(dialects)('release scope on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let A: Host;
  let B: Host;

  beforeAll(async () => {
    t = await startApp(dialect, { MPOP_RATE_LIMIT_PER_DEVICE: '0', MPOP_RATE_LIMIT_PER_ADDRESS: '0' });
    admin = await Client.signIn(t.app);
    A = await hostApp('A');
    B = await hostApp('B');
  });
  afterAll(() => t.destroy());

  async function hostApp(name: string, key = sharedKey().pkcs8): Promise<Host> {
    const app = (await admin.post('/api/v1/host-apps', { name: `Scope ${name}`, workspaceId: 'scope' })).json();
    const res = await admin.put(`/api/v1/host-apps/scope/${app.appId}/dev-config`, devConfigForm('scope.example.com', key));
    expect(res.statusCode).toBe(200);
    return { workspaceId: 'scope', appId: app.appId };
  }

  let counter = 0;
  /** A mini program with versions 1..5 (optional upload fields per version), authorised for A and B. */
  async function miniProgram(fields: Record<string, Record<string, string>> = {}) {
    const id = (await admin.post('/api/v1/mini-programs', { name: `Scoped ${++counter}` })).json().miniProgramId as string;
    for (const v of ['1', '2', '3', '4', '5']) {
      const zip = await miniProgramZip(`pages/v${v}/index`, { 'origin.txt': `${id} ${v}` });
      const up = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: `${v}.0.0.0`, ...fields[v] }, zip));
      expect(up.statusCode, up.body).toBe(201);
    }
    for (const h of [A, B]) expect((await admin.put(`/api/v1/host-apps/scope/${h.appId}/mini-programs/${id}`)).statusCode).toBe(200);
    return id;
  }

  const scopeOf = (s: Scope) => (s === 'all' ? {} : { hostApps: [s === 'A' ? A : B] });
  async function release(id: string, v: string, scope: Scope, percent = 100): Promise<Release> {
    const res = await admin.post(`/api/v1/mini-programs/${id}/packages/${v}.0.0.0/release`, { rollout: { percent, ...scopeOf(scope) } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }
  async function call(method: 'POST' | 'PATCH', url: string, payload?: object) {
    const res = await admin.request({ method, url, ...(payload ? { payload } : {}) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }
  const history = async (id: string) => (await admin.get(`/api/v1/mini-programs/${id}/releases`)).json().items as Release[];
  const stateOf = async (id: string, releaseId: string) => (await history(id)).find((r) => r.releaseId === releaseId)?.state;

  /** The version the gate gives a device of a host app (null: the mini program is not in the answer). */
  async function versionFor(h: Host, id: string, deviceId?: string, client = { platform: 'android', clientVersion: '10.0' }) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { ...h, ...client, miniPrograms: { [id]: '*' }, ...(deviceId ? { deviceId } : {}) },
    });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().resources[0]?.version as string | undefined)?.replace(/\.0\.0\.0$/, '') ?? null;
  }

  /** Asserts what every device of a host app (and a request without a device ID) gets. */
  async function expectLine(h: Host, id: string, line: Line) {
    const got = await Promise.all(DEVICES.map((d) => versionFor(h, id, d)));
    if ('all' in line) {
      expect(got).toEqual(DEVICES.map(() => line.all));
      expect(await versionFor(h, id)).toBe(line.all);
      return;
    }
    const releaseId = line.rollout();
    const expected = DEVICES.map((d) => (cohort(releaseId, d) < line.percent * 100 ? line.next : line.other));
    expect(new Set(expected).size).toBe(2); // both sides of the rollout are looked at
    expect(got).toEqual(expected);
    expect(await versionFor(h, id)).toBe(line.other);
  }

  /**
   * The starting point of every case: 1 complete for everyone, then 2 complete for A only, then 3 rolling out to
   * 50 % of B only. So A's devices have 2; half of B's have 3 and the others 1 (B never had 2).
   */
  async function baseline() {
    const id = await miniProgram();
    await release(id, '1', 'all');
    await release(id, '2', 'A');
    const r3 = await release(id, '3', 'B', 50);
    expect(r3.previousVersion).toBe('1.0.0.0');
    const b3: Line = { rollout: () => r3.releaseId, percent: 50, next: '3', other: '1' };
    await expectLine(A, id, { all: '2' });
    await expectLine(B, id, b3);
    return { id, r3, b3 };
  }

  describe('a release of version 4 to every device at once', () => {
    it('for A: A gets 4; B keeps its rollout of 3, which can still be raised', async () => {
      const { id, r3, b3 } = await baseline();
      expect(await release(id, '4', 'A')).toMatchObject({ state: 'complete', previousVersion: '2.0.0.0' });
      await expectLine(A, id, { all: '4' });
      await expectLine(B, id, b3);
      expect(await stateOf(id, r3.releaseId)).toBe('rolling-out');
      // B's rollout goes on: raised to 100 %, every B device gets 3; A is not moved.
      expect(await call('PATCH', `/api/v1/mini-programs/${id}/releases/${r3.releaseId}`, { percent: 100 })).toMatchObject({
        state: 'complete',
      });
      await expectLine(B, id, { all: '3' });
      await expectLine(A, id, { all: '4' });
    });

    it('for B: B gets 4 and its rollout of 3 ends; A keeps 2', async () => {
      const { id, r3 } = await baseline();
      expect(await release(id, '4', 'B')).toMatchObject({ state: 'complete', previousVersion: '1.0.0.0' });
      await expectLine(A, id, { all: '2' });
      await expectLine(B, id, { all: '4' });
      expect(await stateOf(id, r3.releaseId)).toBe('superseded');
    });

    it('for every host app: both get 4 and the rollout of 3 ends', async () => {
      const { id, r3 } = await baseline();
      expect(await release(id, '4', 'all')).toMatchObject({ state: 'complete', previousVersion: '1.0.0.0' });
      await expectLine(A, id, { all: '4' });
      await expectLine(B, id, { all: '4' });
      expect(await stateOf(id, r3.releaseId)).toBe('superseded');
    });
  });

  describe('a gray release of version 4 to 50 %', () => {
    it('for A: half of A gets 4, the rest keep 2; B keeps its rollout of 3', async () => {
      const { id, r3, b3 } = await baseline();
      const r4 = await release(id, '4', 'A', 50);
      expect(r4.previousVersion).toBe('2.0.0.0');
      await expectLine(A, id, { rollout: () => r4.releaseId, percent: 50, next: '4', other: '2' });
      await expectLine(B, id, b3);
      expect(await stateOf(id, r3.releaseId)).toBe('rolling-out');
    });

    it('for B: half of B gets 4, the rest go back to 1 (the last complete for B); A keeps 2', async () => {
      const { id, r3 } = await baseline();
      const r4 = await release(id, '4', 'B', 50);
      expect(r4.previousVersion).toBe('1.0.0.0');
      await expectLine(A, id, { all: '2' });
      await expectLine(B, id, { rollout: () => r4.releaseId, percent: 50, next: '4', other: '1' });
      expect(await stateOf(id, r3.releaseId)).toBe('superseded');
    });

    it('for every host app: half of each gets 4; the others keep their own last complete version', async () => {
      const { id, r3 } = await baseline();
      const r4 = await release(id, '4', 'all', 50);
      expect(r4.previousVersion).toBe('1.0.0.0');
      await expectLine(A, id, { rollout: () => r4.releaseId, percent: 50, next: '4', other: '2' });
      await expectLine(B, id, { rollout: () => r4.releaseId, percent: 50, next: '4', other: '1' });
      expect(await stateOf(id, r3.releaseId)).toBe('superseded');
    });
  });

  describe('a rollback of a release of version 4', () => {
    it('for A: A goes back to 2 (the last complete for A, never to a version only B had); B keeps its rollout', async () => {
      const { id, r3, b3 } = await baseline();
      const r4 = await release(id, '4', 'A');
      const back: Release = await call('POST', `/api/v1/mini-programs/${id}/rollback`);
      expect(back).toMatchObject({ version: '2.0.0.0', state: 'complete', previousVersion: '4.0.0.0', hostApps: [A] });
      expect(await stateOf(id, r4.releaseId)).toBe('rolled-back');
      await expectLine(A, id, { all: '2' });
      await expectLine(B, id, b3);
      expect(await stateOf(id, r3.releaseId)).toBe('rolling-out');
      // Again: further back, still for A only.
      expect(await call('POST', `/api/v1/mini-programs/${id}/rollback`)).toMatchObject({ version: '1.0.0.0', hostApps: [A] });
      await expectLine(A, id, { all: '1' });
      await expectLine(B, id, b3);
    });

    it('for B: B goes back to 1 (2 was never B’s, 3 never completed); A keeps 2', async () => {
      const { id } = await baseline();
      await release(id, '4', 'B');
      const back: Release = await call('POST', `/api/v1/mini-programs/${id}/rollback`);
      expect(back).toMatchObject({ version: '1.0.0.0', state: 'complete', hostApps: [B] });
      await expectLine(A, id, { all: '2' });
      await expectLine(B, id, { all: '1' });
    });

    it('for every host app: each goes back to its own last complete version, A to 2 and B to 1', async () => {
      const { id } = await baseline();
      const r4 = await release(id, '4', 'all');
      const back: Release = await call('POST', `/api/v1/mini-programs/${id}/rollback`);
      expect(back).toMatchObject({ version: '1.0.0.0', state: 'complete', hostApps: null, previousVersion: '4.0.0.0' });
      await expectLine(A, id, { all: '2' });
      await expectLine(B, id, { all: '1' });
      const items = await history(id);
      expect(items.slice(0, 3).map((r) => [r.version, r.state, r.hostApps])).toEqual([
        ['2.0.0.0', 'complete', [A]],
        ['1.0.0.0', 'complete', null],
        ['4.0.0.0', 'rolled-back', null],
      ]);
      expect(items[2].releaseId).toBe(r4.releaseId);
      const audit = (await admin.get('/api/v1/audit-events?action=mini-program.rolled-back&pageSize=100')).json().items;
      expect(
        audit.filter((e: { details: { rolledBackReleaseId: string } }) => e.details.rolledBackReleaseId === r4.releaseId),
      ).toHaveLength(1);
    });

    it('to a chosen version: only the host apps of the rolled-back release get it', async () => {
      const { id, b3 } = await baseline();
      await release(id, '4', 'A');
      expect(await call('POST', `/api/v1/mini-programs/${id}/rollback`, { version: '1.0.0.0' })).toMatchObject({
        version: '1.0.0.0',
        hostApps: [A],
      });
      await expectLine(A, id, { all: '1' });
      await expectLine(B, id, b3);
    });

    it('with no earlier complete version for its host apps: 409 NOTHING_TO_ROLL_BACK_TO, nothing changes', async () => {
      const id = await miniProgram();
      await release(id, '1', 'B');
      await release(id, '2', 'A');
      const res = await admin.post(`/api/v1/mini-programs/${id}/rollback`);
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('NOTHING_TO_ROLL_BACK_TO');
      await expectLine(A, id, { all: '2' });
      await expectLine(B, id, { all: '1' });
    });
  });

  describe.each<Scope>(['A', 'B', 'all'])('a take-down after a release of version 4 for %s', (scope) => {
    it('takes the mini program from every host app; a rollback gives each its own last complete version back', async () => {
      const { id, r3 } = await baseline();
      const r4 = await release(id, '4', scope);
      expect(await call('POST', `/api/v1/mini-programs/${id}/take-down`)).toMatchObject({ releaseId: r4.releaseId, state: 'taken-down' });
      await expectLine(A, id, { all: null });
      await expectLine(B, id, { all: null });
      expect(await stateOf(id, r3.releaseId)).toBe('superseded'); // no rollout goes on under a take-down
      await call('POST', `/api/v1/mini-programs/${id}/rollback`);
      await expectLine(A, id, { all: '2' });
      await expectLine(B, id, { all: '1' });
    });
  });

  it('a release after a take-down reaches only its scope; the other host app gets nothing until released to', async () => {
    const { id } = await baseline();
    await call('POST', `/api/v1/mini-programs/${id}/take-down`);
    await release(id, '5', 'A');
    await expectLine(A, id, { all: '5' });
    await expectLine(B, id, { all: null });
  });

  it("signs what each host app's own line serves: B's rollout goes on after B's key changes, under A's newer release", async () => {
    const id = await miniProgram();
    await release(id, '1', 'all');
    await release(id, '2', 'all');
    const r3 = await release(id, '3', 'B', 50);
    const r4 = await release(id, '4', 'A');
    expect(r4.previousVersion).toBe('2.0.0.0');
    const b3: Line = { rollout: () => r3.releaseId, percent: 50, next: '3', other: '2' };
    await expectLine(B, id, b3);
    // B's new key: 3 and 2 are signed again under it (what B serves), not only 4 and what 4 replaced.
    const form = devConfigForm('scope.example.com', rsaKey(2048).pkcs8);
    expect((await admin.put(`/api/v1/host-apps/scope/${B.appId}/dev-config`, form)).statusCode).toBe(200);
    const inside = DEVICES.find((d) => cohort(r3.releaseId, d) < 5000)!;
    await expect.poll(() => versionFor(B, id, inside), { timeout: 30_000 }).toBe('3');
    await expectLine(B, id, b3);
    await expectLine(A, id, { all: '4' });
  });

  describe('a release never takes a working version away: devices outside the new version’s range keep an earlier one', () => {
    it('by platform and client version, for a complete release and for a rollout', async () => {
      // 1 runs everywhere; 2 from client 9.0; 3 only on iOS; 4 only for clients 10.0..11.0.
      const id = await miniProgram({
        '2': { clientVersionMin: '9.0' },
        '3': { platform: 'ios' },
        '4': { clientVersionMin: '10.0', clientVersionMax: '11.0' },
      });
      const get = (client: { platform: string; clientVersion: string }, deviceId = 'dev-x') => versionFor(A, id, deviceId, client);
      const android = (clientVersion: string) => ({ platform: 'android', clientVersion });
      const ios = (clientVersion: string) => ({ platform: 'ios', clientVersion });
      await release(id, '1', 'all');
      await release(id, '2', 'all');
      expect(await get(android('9.5'))).toBe('2');
      expect(await get(android('8.0'))).toBe('1');
      await release(id, '3', 'all');
      expect(await get(ios('9.5'))).toBe('3');
      expect(await get(android('9.5'))).toBe('2');
      expect(await get(android('8.0'))).toBe('1');
      expect(await versionFor(A, id, undefined, android('8.0'))).toBe('1');
      await release(id, '4', 'all');
      expect(await get(ios('10.5'))).toBe('4');
      expect(await get(ios('12.0'))).toBe('3');
      expect(await get(android('12.0'))).toBe('2');
      expect(await get(android('8.0'))).toBe('1');

      // A rollout of 5 (every platform) to 50 %: inside it every device gets 5, outside it the version that fits.
      const r5 = await release(id, '5', 'all', 50);
      const inside = DEVICES.find((d) => cohort(r5.releaseId, d) < 5000)!;
      const outside = DEVICES.find((d) => cohort(r5.releaseId, d) >= 5000)!;
      expect(await get(android('8.0'), inside)).toBe('5');
      expect(await get(android('8.0'), outside)).toBe('1');
      expect(await get(ios('12.0'), outside)).toBe('3');
      expect(await get(ios('10.5'), outside)).toBe('4');
    });
  });
});
