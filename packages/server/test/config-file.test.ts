import { createHash, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, userWithRole, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';

const fingerprint = (pem: string) =>
  createHash('sha256')
    .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
    .digest('hex');

describe.each(dialects)('GET /api/v1/host-apps/:ws/:appId/config-file on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  const key1 = rsaKey(2048);
  const key2 = rsaKey(2048);

  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const newApp = async (name: string) => (await admin.post('/api/v1/host-apps', { name, workspaceId: 'kit' })).json();

  it('answers 404 DEV_CONFIG_NOT_SET before the development configuration exists, and 404 NOT_FOUND for an unknown app', async () => {
    const app = await newApp('Config Before');
    const res = await admin.get(`/api/v1/host-apps/kit/${app.appId}/config-file`);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('DEV_CONFIG_NOT_SET');
    const unknown = await admin.get('/api/v1/host-apps/kit/ABCDEF0123456/config-file');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('NOT_FOUND');
  });

  it('hands a viewer the identity, gateway, virtual domain and public key as a download, with no secret in it', async () => {
    const app = await newApp('Config Download');
    await admin.put(`/api/v1/host-apps/kit/${app.appId}/dev-config`, devConfigForm('mini.example.com', key1.pkcs1));
    const viewer = await userWithRole(admin, 'viewer');
    const res = await viewer.get(`/api/v1/host-apps/kit/${app.appId}/config-file`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="mpop-${app.appId}.json"`);
    expect(res.json()).toEqual({
      appId: app.appId,
      workspaceId: 'kit',
      tenantId: app.tenantId,
      name: 'Config Download',
      gatewayUrl: 'http://mpop.test/client/v1',
      virtualDomain: 'mini.example.com',
      publicKeys: [{ fingerprintSha256: fingerprint(key1.publicPem), pem: key1.publicPem }],
      releaseKeys: [],
    });
    expect(res.body).not.toContain('PRIVATE');
    for (const line of key1.pkcs1.split('\n').slice(1, -2)) expect(res.body).not.toContain(line);
  });

  it('lists the replaced key after a rotation (current first) for 30 days, and not a key rotated back to', async () => {
    const app = await newApp('Config Rotation');
    const url = `/api/v1/host-apps/kit/${app.appId}/config-file`;
    await admin.put(`/api/v1/host-apps/kit/${app.appId}/dev-config`, devConfigForm('mini.example.com', key1.pkcs8));
    await admin.put(`/api/v1/host-apps/kit/${app.appId}/dev-config`, devConfigForm('mini.example.com')); // domain only: no rotation
    expect((await admin.get(url)).json().publicKeys).toHaveLength(1);

    await admin.put(`/api/v1/host-apps/kit/${app.appId}/dev-config`, devConfigForm('mini.example.com', key2.pkcs8));
    const keys = (await admin.get(url)).json().publicKeys;
    expect(keys.map((k: { fingerprintSha256: string }) => k.fingerprintSha256)).toEqual([
      fingerprint(key2.publicPem),
      fingerprint(key1.publicPem),
    ]);
    expect(keys[1].pem).toBe(key1.publicPem);

    // 31 days later the old key is no longer listed.
    await t.app.db
      .updateTable('hostAppPreviousKeys')
      .set({ retiredAt: new Date(Date.now() - 31 * 86_400_000).toISOString() })
      .execute();
    expect((await admin.get(url)).json().publicKeys).toHaveLength(1);

    // Back to key 1: key 2 is listed as the previous one, key 1 only once, as the current one.
    await admin.put(`/api/v1/host-apps/kit/${app.appId}/dev-config`, devConfigForm('mini.example.com', key1.pkcs8));
    const back = (await admin.get(url)).json().publicKeys.map((k: { fingerprintSha256: string }) => k.fingerprintSha256);
    expect(back).toEqual([fingerprint(key1.publicPem), fingerprint(key2.publicPem)]);
  });
});
