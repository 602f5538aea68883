import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

interface Item {
  miniProgramId: string;
  name: string;
  releasedVersion: string | null;
  rollout: { version: string; percent: number; state: string; previousVersion: string | null } | null;
  authorizedHostApps: number;
}

const MINUTE = 60_000;

describe.each(dialects)('GET /api/v1/mini-programs on %s: what a release reaches', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let now = Date.parse('2026-11-25T10:00:00.000Z');

  beforeAll(async () => {
    t = await startApp(dialect, {}, { clock: () => now });
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  let counter = 0;
  async function miniProgram(versions: string[]) {
    const id = (await admin.post('/api/v1/mini-programs', { name: `List MP ${++counter}` })).json().miniProgramId as string;
    for (const version of versions) {
      const zip = await miniProgramZip('pages/index/index', { 'origin.txt': `${id} ${version}` });
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip))).statusCode).toBe(201);
    }
    return id;
  }
  const item = async (id: string) => {
    const res = await admin.get('/api/v1/mini-programs');
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().items as Item[]).find((m) => m.miniProgramId === id)!;
  };
  const release = async (id: string, version: string, body?: unknown) =>
    expect((await admin.post(`/api/v1/mini-programs/${id}/packages/${version}/release`, body)).statusCode).toBe(200);

  it('counts the host apps a mini program is authorised for (0 until one is)', async () => {
    const id = await miniProgram(['1.0.0.0']);
    const created = await item(id);
    expect(created.authorizedHostApps).toBe(0);
    expect(created.rollout).toBeNull();
    const hosts = [];
    for (const n of [1, 2]) hosts.push((await admin.post('/api/v1/host-apps', { name: `List host ${n}`, workspaceId: 'list' })).json());
    for (const h of hosts) expect((await admin.put(`/api/v1/host-apps/list/${h.appId}/mini-programs/${id}`)).statusCode).toBe(200);
    expect((await item(id)).authorizedHostApps).toBe(2);
    expect((await admin.delete(`/api/v1/host-apps/list/${hosts[0].appId}/mini-programs/${id}`)).statusCode).toBe(204);
    expect((await item(id)).authorizedHostApps).toBe(1);
  });

  it('answers the count 0 on registration too', async () => {
    const res = await admin.post('/api/v1/mini-programs', { name: 'Fresh' });
    expect(res.json()).toMatchObject({ authorizedHostApps: 0, rollout: null, releasedVersion: null });
  });

  it('tells a rollout from a full release, with its share, steps applied, and what the rest keep', async () => {
    const id = await miniProgram(['1.0.0.1', '1.0.0.2']);
    await release(id, '1.0.0.1');
    expect(await item(id)).toMatchObject({ releasedVersion: '1.0.0.1', rollout: null });

    await release(id, '1.0.0.2', { rollout: { percent: 25, steps: [{ percent: 100, at: new Date(now + 10 * MINUTE).toISOString() }] } });
    expect(await item(id)).toMatchObject({
      releasedVersion: '1.0.0.2',
      rollout: { version: '1.0.0.2', percent: 25, state: 'rolling-out', previousVersion: '1.0.0.1' },
    });

    now += 11 * MINUTE; // the last step passed: the rollout is complete without anyone writing it down
    expect(await item(id)).toMatchObject({ releasedVersion: '1.0.0.2', rollout: null });
  });

  it('shows a paused rollout as paused', async () => {
    const id = await miniProgram(['2.0.0.0']);
    await release(id, '2.0.0.0', { rollout: { percent: 10 } });
    const releaseId = (await admin.get(`/api/v1/mini-programs/${id}/releases`)).json().items[0].releaseId;
    const res = await admin.request({
      method: 'PATCH',
      url: `/api/v1/mini-programs/${id}/releases/${releaseId}`,
      payload: { paused: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await item(id)).rollout).toEqual({ version: '2.0.0.0', percent: 10, state: 'paused', previousVersion: null });
  });

  it('names the specifics of a conflict in params, for a console that says it in another language', async () => {
    const id = await miniProgram(['3.0.0.0']);
    const again = await admin.post('/api/v1/mini-programs', { name: 'Again', miniProgramId: id });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'MINI_PROGRAM_EXISTS', params: { miniProgramId: id } });
    const zip = await miniProgramZip('pages/index/index', { 'origin.txt': 'again' });
    const dup = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '3.0.0.0' }, zip));
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'VERSION_EXISTS', params: { version: '3.0.0.0', miniProgramId: id } });
  });

  it('finds mini programs by a part of the name (ignoring case and look-alikes) or an exact ID, and says how many', async () => {
    const a = (await admin.post('/api/v1/mini-programs', { name: 'Search Coupons Ｐｌｕｓ' })).json().miniProgramId as string;
    const b = (await admin.post('/api/v1/mini-programs', { name: '50%_off Deals' })).json().miniProgramId as string;
    const find = async (q: string) => {
      const res = await admin.get(`/api/v1/mini-programs?query=${encodeURIComponent(q)}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: Item[]; total: number };
    };
    expect((await find('coupons plus')).items.map((m) => m.miniProgramId)).toEqual([a]);
    expect(await find('50%_OFF')).toMatchObject({ total: 1, items: [{ miniProgramId: b }] });
    expect((await find(b)).items.map((m) => m.miniProgramId)).toEqual([b]);
    expect(await find('nothing like it')).toEqual({ items: [], total: 0 });
    const all = (await admin.get('/api/v1/mini-programs')).json();
    expect(all.total).toBe(all.items.length);
    expect(all.total).toBeGreaterThan(2);
  });
});
