import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Client, dialects, startApp, userWithRole, type TestApp } from './helpers/app.js';

describe.each(dialects)('signing in, users and tokens on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  describe('/api/v1/session', () => {
    it('signs in with an HttpOnly SameSite=Strict cookie and reports the user', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: ADMIN });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ user: { username: 'admin', role: 'admin', memberships: [] } });
      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(/mpop_session=/);
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Strict/i);
      const cookie = `mpop_session=${res.cookies[0].value}`;
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
      expect(me.json()).toEqual({ user: { username: 'admin', role: 'admin', memberships: [] } });
    });

    it('gives the same 401 for an unknown user and a wrong password', async () => {
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { username: 'admin', password: 'not-the-password' },
        remoteAddress: '10.1.1.1',
      });
      const unknown = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { username: 'nobody-here', password: 'not-the-password' },
        remoteAddress: '10.1.1.1',
      });
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      const strip = (b: string) => JSON.parse(b);
      expect(strip(wrong.body)).toEqual(strip(unknown.body));
      expect(wrong.headers['set-cookie']).toBeUndefined();
    });

    it('signs out: the cookie no longer works', async () => {
      const c = await Client.signIn(t.app);
      expect((await c.delete('/api/v1/session')).statusCode).toBe(204);
      const after = await c.get('/api/v1/session');
      expect(after.statusCode).toBe(401);
      expect(after.json().code).toBe('UNAUTHENTICATED');
    });

    it('refuses an expired session, and clears expired sessions at the next sign-in', async () => {
      const c = await Client.signIn(t.app);
      await t.app.db
        .updateTable('sessions')
        .set({ expiresAt: '2000-01-01T00:00:00.000Z' })
        .where('expiresAt', '>', '2001-01-01')
        .where('username', '=', 'admin')
        .execute();
      expect((await c.get('/api/v1/session')).statusCode).toBe(401);
      await Client.signIn(t.app);
      const expired = await t.app.db.selectFrom('sessions').select('idHash').where('expiresAt', '<=', new Date().toISOString()).execute();
      expect(expired).toEqual([]);
      admin = await Client.signIn(t.app);
    });

    it('answers 429 TOO_MANY_ATTEMPTS with Retry-After after repeated failures for one user from one address, not from others', async () => {
      await admin.post('/api/v1/users', { username: 'victim', password: 'victim-password-123', role: 'viewer' });
      const attempt = (password: string, ip: string) =>
        t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'victim', password }, remoteAddress: ip });
      for (let i = 0; i < 5; i++) expect((await attempt('wrong-password', '10.2.0.1')).statusCode).toBe(401);
      const blocked = await attempt('victim-password-123', '10.2.0.1');
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().code).toBe('TOO_MANY_ATTEMPTS');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      // Failures elsewhere must not lock the user out here (see sign-in.security.test.ts).
      expect((await attempt('victim-password-123', '10.2.0.99')).statusCode).toBe(200);
    });

    it('rejects a sign-in body without a password (400 VALIDATION_FAILED)', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'admin' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    });
  });

  describe('CSRF origin check', () => {
    it('refuses a cookie-authenticated change from another origin with 403 CSRF_REJECTED, and changes nothing', async () => {
      const res = await admin.request({
        method: 'POST',
        url: '/api/v1/host-apps',
        headers: { origin: 'https://evil.example' },
        payload: { name: 'CSRF', workspaceId: 'ws-csrf' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('CSRF_REJECTED');
      expect((await admin.get('/api/v1/host-apps?workspaceId=ws-csrf')).json().total).toBe(0);
    });

    it('accepts the platform origin and the origin of the Host addressed', async () => {
      expect(
        (
          await admin.request({
            method: 'POST',
            url: '/api/v1/host-apps',
            headers: { origin: 'http://mpop.test' },
            payload: { name: 'Own', workspaceId: 'ws-csrf' },
          })
        ).statusCode,
      ).toBe(201);
      expect(
        (
          await admin.request({
            method: 'POST',
            url: '/api/v1/host-apps',
            headers: { origin: 'http://localhost:80', host: 'localhost:80' },
            payload: { name: 'Host', workspaceId: 'ws-csrf' },
          })
        ).statusCode,
      ).toBe(201);
    });

    it('does not apply to bearer tokens (browsers never send them on their own)', async () => {
      const token = (await admin.post('/api/v1/tokens', { name: 'csrf-check' })).json().token;
      const res = await new Client(t.app, undefined, token).request({
        method: 'POST',
        url: '/api/v1/host-apps',
        headers: { origin: 'https://elsewhere.example' },
        payload: { name: 'Token', workspaceId: 'ws-csrf' },
      });
      expect(res.statusCode).toBe(201);
    });
  });

  describe('/api/v1/users (admin only)', () => {
    it('creates, lists and deletes users; the deleted user can no longer sign in', async () => {
      const res = await admin.post('/api/v1/users', { username: 'olivia', password: 'olivia-password-1', role: 'operator' });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ username: 'olivia', role: 'operator' });
      expect(res.body).not.toContain('password');
      const list = (await admin.get('/api/v1/users')).json();
      expect(list.items.map((u: { username: string }) => u.username)).toContain('olivia');
      expect(JSON.stringify(list)).not.toMatch(/scrypt|passwordHash/);
      const olivia = await Client.signIn(t.app, 'olivia', 'olivia-password-1');
      expect((await admin.delete('/api/v1/users/olivia')).statusCode).toBe(204);
      expect((await olivia.get('/api/v1/session')).statusCode).toBe(401);
      const again = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { username: 'olivia', password: 'olivia-password-1' },
      });
      expect(again.statusCode).toBe(401);
    });

    it('rejects a short password and a duplicate user name', async () => {
      const short = await admin.post('/api/v1/users', { username: 'shorty', password: 'short', role: 'viewer' });
      expect(short.statusCode).toBe(400);
      expect(short.json().errors[0].path).toBe('password');
      await admin.post('/api/v1/users', { username: 'twice', password: 'twice-password-1', role: 'viewer' });
      const dup = await admin.post('/api/v1/users', { username: 'twice', password: 'twice-password-1', role: 'viewer' });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().code).toBe('USER_EXISTS');
    });

    it('refuses operators and viewers (403)', async () => {
      for (const role of ['operator', 'viewer'] as const) {
        const c = await userWithRole(admin, role);
        expect((await c.get('/api/v1/users')).statusCode).toBe(403);
        expect((await c.post('/api/v1/users', { username: `x${role}`, password: 'x-password-1234', role: 'admin' })).statusCode).toBe(403);
      }
    });

    it('keeps the last admin (409 LAST_ADMIN)', async () => {
      const res = await admin.delete('/api/v1/users/admin');
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('LAST_ADMIN');
      expect((await admin.get('/api/v1/session')).statusCode).toBe(200);
    });
  });

  describe('/api/v1/tokens', () => {
    it('shows a token once, lists it without the secret, and revoking makes it answer 401', async () => {
      const created = await admin.post('/api/v1/tokens', { name: 'ci-deploy', role: 'operator' });
      expect(created.statusCode).toBe(201);
      const { id, token, role } = created.json();
      expect(role).toBe('operator');
      expect(token).toMatch(/^mpop_/);
      const bearer = new Client(t.app, undefined, token);
      expect((await bearer.post('/api/v1/host-apps', { name: 'By Token', workspaceId: 'ws-token' })).statusCode).toBe(201);
      expect((await bearer.get('/api/v1/users')).statusCode).toBe(403);

      const list = await admin.get('/api/v1/tokens');
      expect(list.body).not.toContain(token);
      expect(list.json().items.find((x: { id: string }) => x.id === id)).toMatchObject({
        name: 'ci-deploy',
        role: 'operator',
        createdBy: 'admin',
      });

      expect((await admin.delete(`/api/v1/tokens/${id}`)).statusCode).toBe(204);
      const after = await bearer.get('/api/v1/host-apps');
      expect(after.statusCode).toBe(401);
      expect(after.json().code).toBe('UNAUTHENTICATED');
    });

    it('never gives a token a higher role than its creator', async () => {
      const viewer = await userWithRole(admin, 'viewer');
      const res = await viewer.post('/api/v1/tokens', { name: 'escalate', role: 'admin' });
      expect(res.statusCode).toBe(403);
      const own = await viewer.post('/api/v1/tokens', { name: 'mine' });
      expect(own.json().role).toBe('viewer');
    });

    it("hides other users' tokens from non-admins (404 on revoke)", async () => {
      const adminToken = (await admin.post('/api/v1/tokens', { name: 'admins' })).json();
      const operator = await userWithRole(admin, 'operator');
      expect((await operator.get('/api/v1/tokens')).json().items).toEqual([]);
      expect((await operator.delete(`/api/v1/tokens/${adminToken.id}`)).statusCode).toBe(404);
    });

    it('answers 401 for a made-up or malformed bearer token', async () => {
      for (const header of ['Bearer mpop_nope', 'Bearer', 'Basic abc']) {
        const res = await t.app.inject({ method: 'GET', url: '/api/v1/host-apps', headers: { authorization: header } });
        expect(res.statusCode, header).toBe(401);
      }
    });
  });

  describe('GET /api/v1/audit-events', () => {
    it('records every change once, with the actor and no secret, newest first, filterable by action', async () => {
      const app = (await admin.post('/api/v1/host-apps', { name: 'Audited', workspaceId: 'ws-audit' })).json();
      const form = new FormData();
      form.append('virtualDomain', 'audit.example.com');
      const { generateKeyPairSync } = await import('node:crypto');
      const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      form.append('privateKey', new Blob([pem]), 'k.pem');
      expect((await admin.put(`/api/v1/host-apps/ws-audit/${app.appId}/dev-config`, form)).statusCode).toBe(200);
      expect((await admin.delete(`/api/v1/host-apps/ws-audit/${app.appId}`)).statusCode).toBe(204);

      const all = (await admin.get('/api/v1/audit-events?pageSize=100')).json();
      const target = `host-app:ws-audit/${app.appId}`;
      const mine = all.items.filter((e: { target: string }) => e.target === target);
      expect(mine.map((e: { action: string }) => e.action)).toEqual(['host-app.deleted', 'host-app.dev-config.set', 'host-app.created']);
      expect(mine.every((e: { actor: string }) => e.actor === 'admin')).toBe(true);
      expect(JSON.stringify(all)).not.toContain(pem.split('\n')[1]);
      expect(all.items.some((e: { action: string }) => e.action === 'session.created')).toBe(true);

      const filtered = (await admin.get('/api/v1/audit-events?action=host-app.deleted')).json();
      expect(filtered.items.length).toBeGreaterThan(0);
      expect(filtered.items.every((e: { action: string }) => e.action === 'host-app.deleted')).toBe(true);
      expect(filtered).toMatchObject({ page: 1, pageSize: 20 });
    });

    it('does not record a rejected change', async () => {
      const before = (await admin.get('/api/v1/audit-events?action=host-app.created')).json().total;
      await admin.post('/api/v1/host-apps', { name: '', workspaceId: 'ws-audit' });
      await admin.request({
        method: 'POST',
        url: '/api/v1/host-apps',
        headers: { origin: 'https://evil.example' },
        payload: { name: 'X', workspaceId: 'ws-audit' },
      });
      expect((await admin.get('/api/v1/audit-events?action=host-app.created')).json().total).toBe(before);
    });
  });
});
