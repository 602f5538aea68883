import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';
import { startSecondInstance, within } from './helpers/process.js';
import { releasedMiniProgram } from './helpers/packages.js';

describe.runIf(dialects.includes('postgres'))('two server processes on one PostgreSQL', () => {
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

  const askB = (appId: string) =>
    fetch(`${bUrl}/client/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId, workspaceId: 'multi', platform: 'android', clientVersion: '10.0', miniPrograms: {} }),
    });

  it('honours a revoke and a delete made on the other process within one second', async () => {
    const appId = (await admin.post('/api/v1/host-apps', { name: 'Shared', workspaceId: 'multi' })).json().appId;
    await admin.put(`/api/v1/host-apps/multi/${appId}/dev-config`, devConfigForm('shared.example.com', rsaKey().pkcs8));
    // Package files live in each instance's data dir; the answer (a lookup) needs only the shared database.
    const { id } = await releasedMiniProgram(admin, 'Shared MP');
    await admin.put(`/api/v1/host-apps/multi/${appId}/mini-programs/${id}`);

    const first = await askB(appId);
    expect(first.status).toBe(200);
    expect((await first.json()).resources.map((r: { miniProgramId: string }) => r.miniProgramId)).toEqual([id]);
    // Asked again: served from B's cache.
    expect((await (await askB(appId)).json()).resources).toHaveLength(1);

    await admin.delete(`/api/v1/host-apps/multi/${appId}/mini-programs/${id}`);
    const revokeMs = await within(1000, async () => (await (await askB(appId)).json()).resources.length === 0);

    await admin.delete(`/api/v1/host-apps/multi/${appId}`);
    const deleteMs = await within(1000, async () => (await askB(appId)).status === 403);
    const refused = await (await askB(appId)).json();
    expect(refused.code).toBe('HOST_APP_NOT_REGISTERED');
    expect(revokeMs).toBeLessThan(1000);
    expect(deleteMs).toBeLessThan(1000);
  });

  it('hands out generations that never go down across both processes, each change raising them', async () => {
    const appId = (await admin.post('/api/v1/host-apps', { name: 'Generations', workspaceId: 'multi' })).json().appId;
    await admin.put(`/api/v1/host-apps/multi/${appId}/dev-config`, devConfigForm('gen.example.com', rsaKey().pkcs8));
    const { id } = await releasedMiniProgram(admin, 'Generations MP');
    const generationOn = async (ask: () => Promise<Response>) => JSON.parse((await (await ask()).json()).manifest).generation as number;
    const askA = () =>
      a.app
        .inject({
          method: 'POST',
          url: '/client/v1/resources',
          payload: { appId, workspaceId: 'multi', platform: 'android', clientVersion: '10.0', miniPrograms: {} },
        })
        .then((r) => new Response(r.body));
    let last = Math.max(await generationOn(askA), await generationOn(() => askB(appId)));
    // Changes made on A (authorise) and on B (revoke, over its admin API): both processes follow, never below.
    await admin.put(`/api/v1/host-apps/multi/${appId}/mini-programs/${id}`);
    const onA = await generationOn(askA);
    expect(onA).toBeGreaterThan(last);
    await within(1000, async () => (await generationOn(() => askB(appId))) === onA);
    last = onA;
    const token = (await admin.post('/api/v1/tokens', { name: 'multi-gen', role: 'operator' })).json().token as string;
    const revoked = await fetch(`${bUrl}/api/v1/host-apps/multi/${appId}/mini-programs/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(revoked.status).toBe(204);
    const onB = await generationOn(() => askB(appId));
    expect(onB).toBeGreaterThan(last);
    await within(1000, async () => (await generationOn(askA)) === onB);
  });

  it('honours a key rotated on the other process within one second', async () => {
    const appId = (await admin.post('/api/v1/host-apps', { name: 'Rotating', workspaceId: 'multi' })).json().appId;
    const k1 = rsaKey();
    const k2 = rsaKey();
    await admin.put(`/api/v1/host-apps/multi/${appId}/dev-config`, devConfigForm('rot.example.com', k1.pkcs8));
    const { id } = await releasedMiniProgram(admin, 'Rotating MP');
    await admin.put(`/api/v1/host-apps/multi/${appId}/mini-programs/${id}`);
    const before = (await (await askB(appId)).json()).resources[0].keyFingerprint;
    const rotated = (await admin.put(`/api/v1/host-apps/multi/${appId}/dev-config`, devConfigForm('rot.example.com', k2.pkcs8))).json()
      .privateKey.fingerprintSha256;
    expect(rotated).not.toBe(before);
    await within(1000, async () => (await (await askB(appId)).json()).resources[0]?.keyFingerprint === rotated);
  });
});
