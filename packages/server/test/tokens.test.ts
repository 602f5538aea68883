import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, dialects, startApp, userWithRole, type TestApp } from './helpers/app.js';

type TokenItem = { id: string; name: string; lastUsedAt: string | null; expiresAt: string | null };

describe.each(dialects)('API tokens on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  const listed = async (c: Client, id: string) => ((await c.get('/api/v1/tokens')).json().items as TokenItem[]).find((x) => x.id === id);

  it('cannot be created with an API token (403): a stolen token cannot leave a backdoor behind', async () => {
    const parent = (await admin.post('/api/v1/tokens', { name: 'parent', role: 'admin' })).json();
    const bearer = new Client(t.app, undefined, parent.token);
    const child = await bearer.post('/api/v1/tokens', { name: 'child' });
    expect(child.statusCode).toBe(403);
    expect(child.json().code).toBe('FORBIDDEN');
    expect(((await admin.get('/api/v1/tokens')).json().items as TokenItem[]).some((x) => x.name === 'child')).toBe(false);
    // What a token may do with tokens: list and revoke (itself included).
    expect((await bearer.get('/api/v1/tokens')).statusCode).toBe(200);
    expect((await bearer.delete(`/api/v1/tokens/${parent.id}`)).statusCode).toBe(204);
    expect((await bearer.get('/api/v1/host-apps')).statusCode).toBe(401);
  });

  it('expires: works until expiresAt, then answers 401; the list shows the expiry', async () => {
    const expiresAt = inAnHour();
    const created = await admin.post('/api/v1/tokens', { name: 'short-lived', role: 'viewer', expiresAt });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: 'short-lived', role: 'viewer', expiresAt });
    const bearer = new Client(t.app, undefined, created.json().token);
    expect((await bearer.get('/api/v1/host-apps')).statusCode).toBe(200);
    expect((await listed(admin, created.json().id))?.expiresAt).toBe(expiresAt);

    // Time passes: move the expiry into the past rather than wait an hour.
    await t.app.db
      .updateTable('apiTokens')
      .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', created.json().id)
      .execute();
    const after = await bearer.get('/api/v1/host-apps');
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('UNAUTHENTICATED');
  });

  it('accepts an expiry with an offset and stores it in UTC; a token without one never expires', async () => {
    const local = new Date(Date.now() + 86_400_000);
    const withOffset = `${new Date(local.getTime() + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
    const res = await admin.post('/api/v1/tokens', { name: 'offset', expiresAt: withOffset });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().expiresAt).toBe(new Date(withOffset).toISOString());
    expect((await admin.post('/api/v1/tokens', { name: 'forever' })).json().expiresAt).toBeNull();
  });

  it('refuses an expiry in the past or not a date (400 VALIDATION_FAILED on expiresAt)', async () => {
    for (const expiresAt of [new Date(Date.now() - 60_000).toISOString(), 'tomorrow', '2026-13-45T00:00:00Z']) {
      const res = await admin.post('/api/v1/tokens', { name: 'bad-expiry', expiresAt });
      expect(res.statusCode, expiresAt).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(res.json().errors[0].path).toBe('expiresAt');
    }
  });

  it('the list shows when a token was last used', async () => {
    const created = (await admin.post('/api/v1/tokens', { name: 'used' })).json();
    expect((await listed(admin, created.id))?.lastUsedAt).toBeNull();
    const before = Date.now();
    await new Client(t.app, undefined, created.token).get('/api/v1/host-apps');
    const lastUsedAt = (await listed(admin, created.id))?.lastUsedAt;
    expect(lastUsedAt).not.toBeNull();
    expect(Date.parse(lastUsedAt!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("stops working when its creator is disabled or loses the role, and never outranks the creator's current role", async () => {
    const operator = await userWithRole(admin, 'operator');
    const me = (await operator.get('/api/v1/session')).json().user.username;
    const token = (await operator.post('/api/v1/tokens', { name: 'ops', role: 'operator' })).json().token;
    const bearer = new Client(t.app, undefined, token);
    expect((await bearer.post('/api/v1/host-apps', { name: 'Ops app', workspaceId: 'ws-tokens' })).statusCode).toBe(201);
    await admin.request({ method: 'PATCH', url: `/api/v1/users/${me}`, payload: { role: 'viewer' } });
    expect((await bearer.post('/api/v1/host-apps', { name: 'Ops app 2', workspaceId: 'ws-tokens' })).statusCode).toBe(403);
    await admin.request({ method: 'PATCH', url: `/api/v1/users/${me}`, payload: { disabled: true } });
    expect((await bearer.get('/api/v1/host-apps')).statusCode).toBe(401);
  });

  it('a token revokes only tokens whose role is at most its own (403 FORBIDDEN otherwise, and the token stays)', async () => {
    const strong = (await admin.post('/api/v1/tokens', { name: 'deploy', role: 'admin' })).json();
    const middle = (await admin.post('/api/v1/tokens', { name: 'ops-bot', role: 'operator' })).json();
    const weak = (await admin.post('/api/v1/tokens', { name: 'read-only', role: 'viewer' })).json();
    const viewerBearer = new Client(t.app, undefined, weak.token);
    for (const target of [strong, middle]) {
      const refused = await viewerBearer.delete(`/api/v1/tokens/${target.id}`);
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect(refused.json().detail).toMatch(/viewer token cannot revoke a token with the (admin|operator) role/);
      expect(await listed(admin, target.id)).toBeDefined();
    }
    expect((await new Client(t.app, undefined, strong.token).get('/api/v1/host-apps')).statusCode).toBe(200);
    // The same role or a lower one: allowed; and the session of the creator may revoke any of them.
    const operatorBearer = new Client(t.app, undefined, middle.token);
    const another = (await admin.post('/api/v1/tokens', { name: 'read-only-2', role: 'viewer' })).json();
    expect((await operatorBearer.delete(`/api/v1/tokens/${another.id}`)).statusCode).toBe(204);
    expect((await operatorBearer.delete(`/api/v1/tokens/${strong.id}`)).statusCode).toBe(403);
    expect((await viewerBearer.delete(`/api/v1/tokens/${weak.id}`)).statusCode).toBe(204);
    expect((await admin.delete(`/api/v1/tokens/${strong.id}`)).statusCode).toBe(204);
    expect((await admin.delete(`/api/v1/tokens/${middle.id}`)).statusCode).toBe(204);
  });
});
