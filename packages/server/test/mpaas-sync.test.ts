import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { startFakeMpaas, type FakeMpaas } from './helpers/fake-mpaas.js';

const AK = 'LTAI5tTestAccessKeyId';
const SECRET = 'test-secret-Zx8vQ2-never-shown';

describe.each(dialects)('mPaaS sync against an OpenAPI server on %s', (dialect) => {
  let fake: FakeMpaas;
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    fake = await startFakeMpaas(AK, SECRET);
    t = await startApp(dialect, {
      MPAAS_ENDPOINT: fake.endpoint,
      MPAAS_ACCESS_KEY_ID: AK,
      MPAAS_ACCESS_KEY_SECRET: SECRET,
      MPAAS_REGION: 'cn-hangzhou',
      MPAAS_TIMEOUT_MS: '1000',
    });
    admin = await Client.signIn(t.app);
  });
  beforeEach(() => {
    fake.mode = 'ok';
    fake.requests.length = 0;
  });
  afterAll(async () => {
    await t.destroy();
    await fake.close();
  });

  it('lists the mPaaS apps and workspaces through signed OpenAPI calls', async () => {
    const apps = await admin.get('/api/v1/mpaas/apps');
    expect(apps.statusCode).toBe(200);
    expect(apps.json()).toEqual({
      apps: [
        { appId: 'ALIPUB059F038311550', appName: 'Retail Super App', tenantId: 'TENANTAB', appDesc: 'production' },
        { appId: 'ONEX3A7B5C9D1E2F3', appName: 'Travel Companion', tenantId: 'TENANTAB' },
      ],
    });
    const ws = await admin.get('/api/v1/mpaas/workspaces');
    expect(ws.json()).toEqual({
      workspaces: [
        { workspaceId: 'default', displayName: 'Default', tenantId: 'TENANTAB' },
        { workspaceId: 'prod', displayName: 'Production', tenantId: 'TENANTAB' },
      ],
    });
    expect(fake.requests).toEqual([
      { action: 'ListMappCenterApps', signatureValid: true },
      { action: 'ListMappCenterWorkspaces', signatureValid: true },
    ]);
  });

  it("syncs an app with mPaaS's APPID, tenant ID and name, audited; a second sync is HOST_APP_EXISTS", async () => {
    const res = await admin.post('/api/v1/host-apps/sync', { appId: 'ALIPUB059F038311550', workspaceId: 'prod' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      appId: 'ALIPUB059F038311550',
      workspaceId: 'prod',
      tenantId: 'TENANTAB',
      name: 'Retail Super App',
      source: 'mpaas',
      devConfigured: false,
    });
    expect((await admin.get('/api/v1/host-apps/prod/ALIPUB059F038311550')).statusCode).toBe(200);
    const audit = (await admin.get('/api/v1/audit-events?action=host-app.synced')).json();
    expect(audit.items[0]).toMatchObject({ actor: 'admin', target: 'host-app:prod/ALIPUB059F038311550' });

    const again = await admin.post('/api/v1/host-apps/sync', { appId: 'ALIPUB059F038311550', workspaceId: 'prod' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('HOST_APP_EXISTS');
    // The same mPaaS app may be synced into another workspace.
    expect((await admin.post('/api/v1/host-apps/sync', { appId: 'ALIPUB059F038311550', workspaceId: 'default' })).statusCode).toBe(201);
  });

  it.each([
    [{ appId: 'NOSUCHAPP', workspaceId: 'prod' }, /no app NOSUCHAPP/],
    [{ appId: 'ONEX3A7B5C9D1E2F3', workspaceId: 'nowhere' }, /no workspace nowhere/],
  ])('answers 404 for %j and creates nothing', async (body, detail) => {
    const res = await admin.post('/api/v1/host-apps/sync', body);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect(res.json().detail).toMatch(detail);
    expect((await admin.get(`/api/v1/host-apps?query=${body.appId}`)).json().total).toBe(0);
  });

  it('syncs under a name chosen in the dialog when the mPaaS name is taken in the workspace, validated like every name', async () => {
    expect((await admin.post('/api/v1/host-apps', { name: 'Travel Companion', workspaceId: 'default' })).statusCode).toBe(201);
    const clash = await admin.post('/api/v1/host-apps/sync', { appId: 'ONEX3A7B5C9D1E2F3', workspaceId: 'default' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: 'NAME_TAKEN', params: { name: 'Travel Companion', workspaceId: 'default' } });

    const bad = await admin.post('/api/v1/host-apps/sync', { appId: 'ONEX3A7B5C9D1E2F3', workspaceId: 'default', name: 'a\u202eb' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'name' }] });
    const tooLong = await admin.post('/api/v1/host-apps/sync', {
      appId: 'ONEX3A7B5C9D1E2F3',
      workspaceId: 'default',
      name: 'x'.repeat(65),
    });
    expect(tooLong.statusCode).toBe(400);
    expect((await admin.get('/api/v1/host-apps?query=ONEX3A7B5C9D1E2F3')).json().total).toBe(0);

    const res = await admin.post('/api/v1/host-apps/sync', {
      appId: 'ONEX3A7B5C9D1E2F3',
      workspaceId: 'default',
      name: '  Travel  (mPaaS) ',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ appId: 'ONEX3A7B5C9D1E2F3', workspaceId: 'default', name: 'Travel (mPaaS)', source: 'mpaas' });
  });

  it("answers 502 MPAAS_UNAVAILABLE with mPaaS's own message on an upstream error, creating nothing", async () => {
    fake.mode = 'error';
    const res = await admin.post('/api/v1/host-apps/sync', { appId: 'ONEX3A7B5C9D1E2F3', workspaceId: 'prod' });
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('MPAAS_UNAVAILABLE');
    expect(res.json().detail).toContain('The mPaaS console is under maintenance.');
    expect(res.body).not.toContain(SECRET);
    expect((await admin.get('/api/v1/host-apps/prod/ONEX3A7B5C9D1E2F3')).statusCode).toBe(404);
    const list = await admin.get('/api/v1/mpaas/apps');
    expect(list.statusCode).toBe(502);
  });

  it('answers 502 when mPaaS rejects the signature, without echoing the secret', async () => {
    fake.mode = 'refuse-signature';
    const res = await admin.get('/api/v1/mpaas/apps');
    expect(res.statusCode).toBe(502);
    expect(res.json().detail).toMatch(/SignatureDoesNotMatch/);
    expect(res.body).not.toContain(SECRET);
    expect(t.logs()).not.toContain(SECRET);
  });

  it('answers 504 when mPaaS does not answer within the timeout, creating nothing', async () => {
    fake.mode = 'hang';
    const started = Date.now();
    const res = await admin.post('/api/v1/host-apps/sync', { appId: 'ONEX3A7B5C9D1E2F3', workspaceId: 'prod' });
    expect(res.statusCode).toBe(504);
    expect(res.json().code).toBe('MPAAS_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
    fake.mode = 'ok';
    expect((await admin.get('/api/v1/host-apps/prod/ONEX3A7B5C9D1E2F3')).statusCode).toBe(404);
  });

  it('is refused to a viewer (403) and unauthenticated callers (401)', async () => {
    const anon = await t.app.inject({ method: 'GET', url: '/api/v1/mpaas/apps' });
    expect(anon.statusCode).toBe(401);
    await admin.post('/api/v1/users', { username: 'sync-viewer', password: 'sync-viewer-pass', role: 'viewer' });
    const viewer = await Client.signIn(t.app, 'sync-viewer', 'sync-viewer-pass');
    expect((await viewer.get('/api/v1/mpaas/apps')).statusCode).toBe(200);
    expect((await viewer.post('/api/v1/host-apps/sync', { appId: 'ONEX3A7B5C9D1E2F3', workspaceId: 'prod' })).statusCode).toBe(403);
  });
});

describe('mPaaS sync: other backends', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.destroy();
  });
  const start = async (env: Record<string, string>) => {
    const t = await startApp('sqlite', env);
    apps.push(t);
    return { t, admin: await Client.signIn(t.app) };
  };

  it('answers 502 when the mPaaS endpoint refuses connections', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { admin } = await start({ MPAAS_ENDPOINT: `http://127.0.0.1:${port}`, MPAAS_ACCESS_KEY_ID: AK, MPAAS_ACCESS_KEY_SECRET: SECRET });
    const res = await admin.get('/api/v1/mpaas/workspaces');
    expect(res.statusCode).toBe(502);
    expect(res.json().detail).toMatch(/could not be reached/);
    expect(res.body).not.toContain(SECRET);
  });

  it('answers 503 MPAAS_NOT_CONFIGURED naming the variables to set', async () => {
    const { admin } = await start({});
    for (const res of [
      await admin.get('/api/v1/mpaas/apps'),
      await admin.post('/api/v1/host-apps/sync', { appId: 'X1', workspaceId: 'default' }),
    ]) {
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('MPAAS_NOT_CONFIGURED');
      expect(res.json().detail).toMatch(/MPAAS_ENDPOINT.*MPAAS_ACCESS_KEY_ID.*MPAAS_DIRECTORY_FILE/);
    }
  });

  it('reads apps and workspaces from MPAAS_DIRECTORY_FILE, and syncs from it', async () => {
    const example = path.resolve(__dirname, '../../../docs/mpaas-directory.example.json');
    const { admin } = await start({ MPAAS_DIRECTORY_FILE: example });
    const apps = (await admin.get('/api/v1/mpaas/apps')).json().apps;
    const workspaces = (await admin.get('/api/v1/mpaas/workspaces')).json().workspaces;
    expect(apps.length).toBeGreaterThan(0);
    expect(workspaces.length).toBeGreaterThan(0);
    const res = await admin.post('/api/v1/host-apps/sync', { appId: apps[0].appId, workspaceId: workspaces[0].workspaceId });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ appId: apps[0].appId, tenantId: apps[0].tenantId, name: apps[0].appName, source: 'mpaas' });
  });

  it('stops the start with a clear message for a directory file that is missing, not JSON, or not a directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-dir-'));
    const file = path.join(dir, 'dir.json');
    await expect(startApp('sqlite', { MPAAS_DIRECTORY_FILE: file })).rejects.toThrow(
      `MPAAS_DIRECTORY_FILE names ${file}, which cannot be read (ENOENT).`,
    );
    fs.writeFileSync(file, '{ "apps": [');
    await expect(startApp('sqlite', { MPAAS_DIRECTORY_FILE: file })).rejects.toThrow(/is not JSON/);
    fs.writeFileSync(file, JSON.stringify({ apps: [{ appId: 'A' }], workspaces: [] }));
    await expect(startApp('sqlite', { MPAAS_DIRECTORY_FILE: file })).rejects.toThrow(/is not a valid mPaaS directory at \/apps\/0/);
  });

  it('answers 502 with a clear message for a directory file broken after the start', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-dir-')), 'dir.json');
    fs.copyFileSync(path.resolve(__dirname, '../../../docs/mpaas-directory.example.json'), file);
    const { admin } = await start({ MPAAS_DIRECTORY_FILE: file });
    fs.writeFileSync(file, JSON.stringify({ apps: [{ appId: 'A' }], workspaces: [] }));
    const res = await admin.get('/api/v1/mpaas/apps');
    expect(res.statusCode).toBe(502);
    expect(res.json().detail).toMatch(/is not valid at \/apps\/0/);
  });
});
