import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, userWithRole, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { releasedMiniProgram } from './helpers/packages.js';

describe.each(dialects)('PATCH /api/v1/host-apps/{workspaceId}/{appId} on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;

  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const ask = (appId: string, workspaceId = 'ops') =>
    t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId, platform: 'android', clientVersion: '10.2.3', miniPrograms: {} },
    });

  async function servedHostApp(name: string) {
    const app = (await admin.post('/api/v1/host-apps', { name, workspaceId: 'ops' })).json();
    expect(app.enabled).toBe(true);
    expect(
      (await admin.put(`/api/v1/host-apps/ops/${app.appId}/dev-config`, devConfigForm('ops.example.com', sharedKey().pkcs8))).statusCode,
    ).toBe(200);
    const { id } = await releasedMiniProgram(admin, `${name} MP`);
    expect((await admin.put(`/api/v1/host-apps/ops/${app.appId}/mini-programs/${id}`)).statusCode).toBe(200);
    return { appId: app.appId as string, miniProgramId: id };
  }

  it('disables a host app: the client API refuses it with 403 HOST_APP_DISABLED at once, and serves it again once enabled', async () => {
    const { appId, miniProgramId } = await servedHostApp('Switchable');
    const before = await ask(appId);
    expect(before.statusCode).toBe(200);
    expect(before.json().resources.map((r: { miniProgramId: string }) => r.miniProgramId)).toEqual([miniProgramId]);

    const off = await admin.request({ method: 'PATCH', url: `/api/v1/host-apps/ops/${appId}`, payload: { enabled: false } });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({ appId, enabled: false, devConfigured: true, name: 'Switchable' });
    const refused = await ask(appId); // the gate had this host app cached: the change must drop it
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'HOST_APP_DISABLED', status: 403 });
    expect(refused.json().detail).toMatch(/disabled/);
    expect((await admin.get(`/api/v1/host-apps/ops/${appId}`)).json().enabled).toBe(false);
    expect(
      (await admin.get('/api/v1/host-apps?workspaceId=ops')).json().items.find((a: { appId: string }) => a.appId === appId).enabled,
    ).toBe(false);

    const on = await admin.request({ method: 'PATCH', url: `/api/v1/host-apps/ops/${appId}`, payload: { enabled: true } });
    expect(on.json().enabled).toBe(true);
    const again = await ask(appId);
    expect(again.statusCode).toBe(200);
    expect(again.json().resources).toHaveLength(1);

    const audit = (await admin.get('/api/v1/audit-events?pageSize=100')).json().items;
    const mine = audit.filter((e: { target: string }) => e.target === `host-app:ops/${appId}`).map((e: { action: string }) => e.action);
    expect(mine.slice(0, 2)).toEqual(['host-app.enabled', 'host-app.disabled']);
  });

  it('refuses client events of a disabled host app with 403 HOST_APP_DISABLED, and takes them again once enabled', async () => {
    const { appId, miniProgramId } = await servedHostApp('Reporter');
    const report = () =>
      t.app.inject({
        method: 'POST',
        url: '/client/v1/events',
        payload: { appId, workspaceId: 'ops', deviceId: 'device-1', events: [{ type: 'launch', miniProgramId, version: '1.0.0.1' }] },
      });
    expect((await report()).statusCode).toBe(202); // the events service now has this host app cached
    await admin.request({ method: 'PATCH', url: `/api/v1/host-apps/ops/${appId}`, payload: { enabled: false } });
    const refused = await report();
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('HOST_APP_DISABLED');
    await admin.request({ method: 'PATCH', url: `/api/v1/host-apps/ops/${appId}`, payload: { enabled: true } });
    expect((await report()).statusCode).toBe(202);
  });

  it('keeps a disabled host app disabled across a restart', async () => {
    const app = (await admin.post('/api/v1/host-apps', { name: 'Stays Off', workspaceId: 'ops' })).json();
    await admin.request({ method: 'PATCH', url: `/api/v1/host-apps/ops/${app.appId}`, payload: { enabled: false } });
    t = await t.restart();
    admin = await Client.signIn(t.app);
    expect((await admin.get(`/api/v1/host-apps/ops/${app.appId}`)).json().enabled).toBe(false);
    expect((await ask(app.appId)).json().code).toBe('HOST_APP_DISABLED');
  });

  it('renames a host app, refusing a name already taken in the workspace with 409 NAME_TAKEN', async () => {
    const a = (await admin.post('/api/v1/host-apps', { name: 'Old Name', workspaceId: 'ops' })).json();
    await admin.post('/api/v1/host-apps', { name: 'Taken Name', workspaceId: 'ops' });
    const renamed = await admin.request({ method: 'PATCH', url: `/api/v1/host-apps/ops/${a.appId}`, payload: { name: '  New Name ' } });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'New Name', enabled: true });
    const clash = await admin.request({ method: 'PATCH', url: `/api/v1/host-apps/ops/${a.appId}`, payload: { name: 'taken name' } });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().code).toBe('NAME_TAKEN');
    const audit = (await admin.get('/api/v1/audit-events?action=host-app.updated')).json().items[0];
    expect(audit).toMatchObject({ target: `host-app:ops/${a.appId}`, details: { name: 'New Name', previousName: 'Old Name' } });
  });

  it('answers 400 for an empty or unknown change, 404 for an unknown host app, and 403 for a viewer', async () => {
    const a = (await admin.post('/api/v1/host-apps', { name: 'Patch Errors', workspaceId: 'ops' })).json();
    const url = `/api/v1/host-apps/ops/${a.appId}`;
    expect((await admin.request({ method: 'PATCH', url, payload: {} })).json().code).toBe('VALIDATION_FAILED');
    expect((await admin.request({ method: 'PATCH', url, payload: { enabled: 'no' } })).json().code).toBe('VALIDATION_FAILED');
    expect((await admin.request({ method: 'PATCH', url, payload: { tenantId: 'X' } })).json().code).toBe('VALIDATION_FAILED');
    const missing = await admin.request({ method: 'PATCH', url: '/api/v1/host-apps/ops/FFFFFFFFFFFFF', payload: { enabled: false } });
    expect(missing.statusCode).toBe(404);
    const viewer = await userWithRole(admin, 'viewer');
    const denied = await viewer.request({ method: 'PATCH', url, payload: { enabled: false } });
    expect(denied.statusCode).toBe(403);
    expect((await admin.get(url)).json().enabled).toBe(true);
  });
});
