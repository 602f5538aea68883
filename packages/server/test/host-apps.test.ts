import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, dialects, startApp, userWithRole, type TestApp } from './helpers/app.js';

describe.each(dialects)('host apps on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const create = (name: string, workspaceId = 'default') => admin.post('/api/v1/host-apps', { name, workspaceId });

  describe('POST /api/v1/host-apps', () => {
    it('adds an app with a generated APPID and tenant ID, manual source, not configured', async () => {
      const res = await create('  Retail Super App  ', 'ws-create');
      expect(res.statusCode).toBe(201);
      const app = res.json();
      expect(app).toMatchObject({ name: 'Retail Super App', workspaceId: 'ws-create', source: 'manual', devConfigured: false });
      expect(app.appId).toMatch(/^[0-9A-F]{13}$/);
      expect(app.tenantId).toMatch(/^[A-Z]{8}$/);
      expect(new Date(app.createdAt).toISOString()).toBe(app.createdAt);
      expect(app.updatedAt).toBe(app.createdAt);
    });

    it('generates different IDs for every app', async () => {
      const apps = await Promise.all(Array.from({ length: 8 }, (_, i) => create(`Unique ${i}`, 'ws-unique').then((r) => r.json())));
      expect(new Set(apps.map((a) => a.appId)).size).toBe(8);
      expect(new Set(apps.map((a) => a.tenantId)).size).toBe(8);
    });

    it('rejects a duplicate name in the same workspace, case-insensitively, with NAME_TAKEN', async () => {
      expect((await create('Bank App', 'ws-dup')).statusCode).toBe(201);
      const res = await create('bank APP', 'ws-dup');
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'NAME_TAKEN', status: 409, params: { name: 'bank APP', workspaceId: 'ws-dup' } });
      expect(res.headers['content-type']).toContain('application/problem+json');
      const list = await admin.get('/api/v1/host-apps?workspaceId=ws-dup');
      expect(list.json().total).toBe(1);
    });

    it('allows the same name in another workspace', async () => {
      expect((await create('Shared Name', 'ws-a')).statusCode).toBe(201);
      expect((await create('Shared Name', 'ws-b')).statusCode).toBe(201);
    });

    it.each([
      [{ workspaceId: 'default' }, 'name'],
      [{ name: 'x' }, 'workspaceId'],
      [{ name: '   ', workspaceId: 'default' }, 'name'],
      [{ name: 'x'.repeat(65), workspaceId: 'default' }, 'name'],
      [{ name: 'ok', workspaceId: 'has space' }, 'workspaceId'],
      [{ name: 'ok', workspaceId: '-leading' }, 'workspaceId'],
      [{ name: 'ok', workspaceId: 'w'.repeat(65) }, 'workspaceId'],
      [{ name: 'ok', workspaceId: 'default', appId: 'CHOSEN' }, 'appId'],
    ])('rejects %j with VALIDATION_FAILED naming %s, and stores nothing', async (body, field) => {
      const before = (await admin.get('/api/v1/host-apps?pageSize=100')).json().total;
      const res = await admin.post('/api/v1/host-apps', body);
      expect(res.statusCode).toBe(400);
      const problem = res.json();
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field);
      expect(problem.detail).toBeTruthy();
      expect((await admin.get('/api/v1/host-apps?pageSize=100')).json().total).toBe(before);
    });

    it('accepts a 64-character name (counted in characters, not bytes)', async () => {
      const name = '应用'.repeat(32);
      const res = await create(name, 'ws-long');
      expect(res.statusCode).toBe(201);
      expect(res.json().name).toBe(name);
    });

    it('answers MALFORMED_REQUEST for a body that is not JSON', async () => {
      const res = await admin.request({
        method: 'POST',
        url: '/api/v1/host-apps',
        headers: { 'content-type': 'application/json' },
        payload: '{"name":',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('MALFORMED_REQUEST');
    });
  });

  describe('GET /api/v1/host-apps', () => {
    beforeAll(async () => {
      for (const name of ['Alpha Mall', 'Beta Bank', 'alpha travel', '50%_off', '50 off', 'Zeta']) await create(name, 'ws-query');
    });

    it('lists newest first with total, page and pageSize', async () => {
      const res = await admin.get('/api/v1/host-apps?workspaceId=ws-query');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ total: 6, page: 1, pageSize: 20 });
      expect(body.items.map((a: { name: string }) => a.name)).toEqual([
        'Zeta',
        '50 off',
        '50%_off',
        'alpha travel',
        'Beta Bank',
        'Alpha Mall',
      ]);
    });

    it('matches the name as a case-insensitive substring', async () => {
      const res = await admin.get('/api/v1/host-apps?workspaceId=ws-query&query=ALPHA');
      expect(
        res
          .json()
          .items.map((a: { name: string }) => a.name)
          .sort(),
      ).toEqual(['Alpha Mall', 'alpha travel']);
    });

    it('treats % and _ in the query literally', async () => {
      expect(
        (await admin.get(`/api/v1/host-apps?workspaceId=ws-query&query=${encodeURIComponent('%_')}`))
          .json()
          .items.map((a: { name: string }) => a.name),
      ).toEqual(['50%_off']);
      expect((await admin.get(`/api/v1/host-apps?workspaceId=ws-query&query=${encodeURIComponent('_')}`)).json().total).toBe(1);
      expect((await admin.get(`/api/v1/host-apps?workspaceId=ws-query&query=${encodeURIComponent('%')}`)).json().total).toBe(1);
    });

    it('matches an exact APPID', async () => {
      const zeta = (await admin.get('/api/v1/host-apps?workspaceId=ws-query&query=Zeta')).json().items[0];
      const res = await admin.get(`/api/v1/host-apps?query=${zeta.appId}`);
      expect(res.json().items.map((a: { appId: string }) => a.appId)).toEqual([zeta.appId]);
    });

    it("treats empty query and workspaceId parameters as no filter (the contract's own example)", async () => {
      const all = (await admin.get('/api/v1/host-apps?pageSize=100')).json();
      const res = await admin.get('/api/v1/host-apps?query=&workspaceId=&page=1&pageSize=100');
      expect(res.statusCode).toBe(200);
      expect(res.json().total).toBe(all.total);
    });

    it('pages', async () => {
      const p1 = (await admin.get('/api/v1/host-apps?workspaceId=ws-query&page=1&pageSize=4')).json();
      const p2 = (await admin.get('/api/v1/host-apps?workspaceId=ws-query&page=2&pageSize=4')).json();
      expect(p1.items).toHaveLength(4);
      expect(p2.items).toHaveLength(2);
      expect(p2).toMatchObject({ total: 6, page: 2, pageSize: 4 });
      const p9 = (await admin.get('/api/v1/host-apps?workspaceId=ws-query&page=9&pageSize=4')).json();
      expect(p9.items).toEqual([]);
    });

    it.each(['pageSize=0', 'pageSize=101', 'page=0', 'page=x', 'workspaceId=bad%20ws'])('rejects %s with VALIDATION_FAILED', async (qs) => {
      const res = await admin.get(`/api/v1/host-apps?${qs}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    });
  });

  describe('GET and DELETE /api/v1/host-apps/{workspaceId}/{appId}', () => {
    it('shows the basic information, then deletes after which it is 404', async () => {
      const created = (await create('To Delete', 'ws-del')).json();
      const path = `/api/v1/host-apps/ws-del/${created.appId}`;
      const shown = await admin.get(path);
      expect(shown.statusCode).toBe(200);
      expect(shown.json()).toEqual(created);

      const del = await admin.delete(path);
      expect(del.statusCode).toBe(204);
      expect(del.body).toBe('');
      const gone = await admin.get(path);
      expect(gone.statusCode).toBe(404);
      expect(gone.json().code).toBe('NOT_FOUND');
      expect((await admin.delete(path)).statusCode).toBe(404);
      expect((await admin.get('/api/v1/host-apps?workspaceId=ws-del')).json().total).toBe(0);
    });

    it('answers 404 for the right APPID in the wrong workspace', async () => {
      const created = (await create('Scoped', 'ws-scope')).json();
      const res = await admin.get(`/api/v1/host-apps/other-ws/${created.appId}`);
      expect(res.statusCode).toBe(404);
    });

    it('answers a 404 problem for unknown routes', async () => {
      const res = await admin.get('/api/v1/nothing-here');
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('NOT_FOUND');
    });
  });

  describe('roles', () => {
    it('lets a viewer read but not add or delete (403 FORBIDDEN)', async () => {
      const viewer = await userWithRole(admin, 'viewer');
      const created = (await create('Viewer Target', 'ws-roles')).json();
      expect((await viewer.get('/api/v1/host-apps')).statusCode).toBe(200);
      expect((await viewer.get(`/api/v1/host-apps/ws-roles/${created.appId}`)).statusCode).toBe(200);
      const add = await viewer.post('/api/v1/host-apps', { name: 'Nope', workspaceId: 'ws-roles' });
      expect(add.statusCode).toBe(403);
      expect(add.json().code).toBe('FORBIDDEN');
      expect((await viewer.delete(`/api/v1/host-apps/ws-roles/${created.appId}`)).statusCode).toBe(403);
      expect((await admin.get(`/api/v1/host-apps/ws-roles/${created.appId}`)).statusCode).toBe(200);
    });

    it('lets an operator add and delete', async () => {
      const operator = await userWithRole(admin, 'operator');
      const res = await operator.post('/api/v1/host-apps', { name: 'Operator App', workspaceId: 'ws-roles' });
      expect(res.statusCode).toBe(201);
      expect((await operator.delete(`/api/v1/host-apps/ws-roles/${res.json().appId}`)).statusCode).toBe(204);
    });

    it('refuses every host-app route without authentication (401 UNAUTHENTICATED)', async () => {
      const anon = new Client(t.app);
      for (const [method, url] of [
        ['GET', '/api/v1/host-apps'],
        ['POST', '/api/v1/host-apps'],
        ['GET', '/api/v1/host-apps/w/A'],
        ['DELETE', '/api/v1/host-apps/w/A'],
        ['GET', '/api/v1/host-apps/w/A/dev-config'],
        ['PUT', '/api/v1/host-apps/w/A/dev-config'],
        ['GET', '/api/v1/host-apps/w/A/dev-config/public-key'],
      ] as const) {
        const res = await anon.request({ method, url, payload: method === 'POST' ? { name: 'x', workspaceId: 'w' } : undefined });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.json().code).toBe('UNAUTHENTICATED');
      }
    });
  });
});
