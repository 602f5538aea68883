import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';
import { startSecondInstance, within } from './helpers/process.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

describe.runIf(dialects.includes('postgres'))('a gray release seen by two server processes on one PostgreSQL', () => {
  const masterKey = randomBytes(32).toString('base64');
  let a: TestApp;
  let admin: Client;
  let b: Awaited<ReturnType<typeof startSecondInstance>>;
  let bUrl: string;

  beforeAll(async () => {
    a = await startApp('postgres', { MPOP_MASTER_KEY: masterKey });
    admin = await Client.signIn(a.app);
    b = await startSecondInstance(a.config.databaseUrl, masterKey);
    bUrl = b.url;
  });
  afterAll(async () => {
    await b?.destroy();
    await a.destroy();
  });

  const body = (appId: string, id: string, deviceId?: string) =>
    JSON.stringify({ appId, workspaceId: 'multi-rel', platform: 'android', clientVersion: '10.0', miniPrograms: { [id]: '*' }, deviceId });
  const versionOnB = async (appId: string, id: string, deviceId?: string) => {
    const res = await fetch(`${bUrl}/client/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(appId, id, deviceId),
    });
    expect(res.status).toBe(200);
    return ((await res.json()).resources[0]?.version as string | undefined) ?? null;
  };
  const versionOnA = async (appId: string, id: string, deviceId?: string) => {
    const res = await a.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      headers: { 'content-type': 'application/json' },
      payload: body(appId, id, deviceId),
    });
    return (res.json().resources[0]?.version as string | undefined) ?? null;
  };

  it('gives every device the same answer on both, and honours a rollback and a take-down made on the other within one second', async () => {
    const appId = (await admin.post('/api/v1/host-apps', { name: 'Gray Shared', workspaceId: 'multi-rel' })).json().appId;
    await admin.put(`/api/v1/host-apps/multi-rel/${appId}/dev-config`, devConfigForm('gray.example.com', rsaKey().pkcs8));
    const id = (await admin.post('/api/v1/mini-programs', { name: 'Gray MP' })).json().miniProgramId;
    for (const version of ['1.0.0.0', '2.0.0.0'])
      await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, await miniProgramZip(`pages/${version}/i`)));
    await admin.put(`/api/v1/host-apps/multi-rel/${appId}/mini-programs/${id}`);
    expect((await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).statusCode).toBe(200);
    const rel = await admin.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/release`, { rollout: { percent: 30, devices: ['vip'] } });
    expect(rel.json()).toMatchObject({ state: 'rolling-out', percent: 30, signing: { state: 'signed' } });

    const devices = Array.from({ length: 200 }, (_, i) => `shared-${i}`);
    const onNew: string[] = [];
    await within(5000, async () => (await versionOnB(appId, id, 'vip')) === '2.0.0.0');
    for (const d of devices) {
      const fromB = await versionOnB(appId, id, d);
      expect(fromB).toBe(await versionOnA(appId, id, d));
      if (fromB === '2.0.0.0') onNew.push(d);
    }
    expect(onNew.length).toBeGreaterThan(30);
    expect(onNew.length).toBeLessThan(100);
    expect(await versionOnB(appId, id)).toBe('1.0.0.0');

    expect((await admin.post(`/api/v1/mini-programs/${id}/rollback`)).json()).toMatchObject({ version: '1.0.0.0', state: 'complete' });
    const rollbackMs = await within(1000, async () => (await versionOnB(appId, id, onNew[0])) === '1.0.0.0');
    for (const d of [...onNew.slice(0, 20), 'vip']) expect(await versionOnB(appId, id, d)).toBe('1.0.0.0');

    expect((await admin.post(`/api/v1/mini-programs/${id}/take-down`)).json()).toMatchObject({ state: 'taken-down' });
    const takeDownMs = await within(1000, async () => (await versionOnB(appId, id, devices[0])) === null);
    expect(await versionOnB(appId, id)).toBeNull();
    expect(rollbackMs).toBeLessThan(1000);
    expect(takeDownMs).toBeLessThan(1000);
  });
});
