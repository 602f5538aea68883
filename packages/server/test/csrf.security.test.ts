import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Client, dialects, startApp, type TestApp } from './helpers/app.js';

describe.each(dialects)('cross-site request defences on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  /** A cookie-authenticated change with exactly these headers (no Origin unless given). */
  const change = (headers: Record<string, string>, name: string, method: 'POST' | 'DELETE' = 'POST', url = '/api/v1/host-apps') =>
    t.app.inject({
      method,
      url,
      headers: { cookie: admin.cookie!, ...headers },
      payload: method === 'POST' ? { name, workspaceId: 'ws-csrf' } : undefined,
    });
  const names = async () =>
    (await admin.get('/api/v1/host-apps?workspaceId=ws-csrf&pageSize=100')).json().items.map((a: { name: string }) => a.name);

  describe('a cookie-authenticated change without Origin', () => {
    it.each([
      ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['a Referer from another site', { referer: 'https://evil.example/page' }],
      ['a Referer from a sibling subdomain', { referer: 'http://evil.mpop.test/' }],
      ['a Referer that is not a URL', { referer: 'not a url' }],
      ['a Referer from our site but Sec-Fetch-Site: same-site', { referer: 'http://mpop.test/host-apps', 'sec-fetch-site': 'same-site' }],
      ['Origin: null (a sandboxed frame or a redirect)', { origin: 'null' }],
    ])('is refused when it carries %s (403 CSRF_REJECTED) and changes nothing', async (what, headers) => {
      const res = await change(headers, `refused ${what}`);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('CSRF_REJECTED');
      expect(await names()).not.toContain(`refused ${what}`);
    });

    it.each([
      ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }],
      ['a Referer from the platform', { referer: 'http://mpop.test/host-apps?page=2' }],
      ['no browser signal at all (a script with a cookie jar)', {}],
    ])('is accepted when it carries %s', async (what, headers) => {
      const res = await change(headers, `accepted ${what.slice(0, 40)}`);
      expect(res.statusCode).toBe(201);
    });

    it('is refused on DELETE too, and the host app stays', async () => {
      const app = (await admin.post('/api/v1/host-apps', { name: 'Keep me', workspaceId: 'ws-csrf' })).json();
      const res = await change({ 'sec-fetch-site': 'same-site' }, '', 'DELETE', `/api/v1/host-apps/ws-csrf/${app.appId}`);
      expect(res.statusCode).toBe(403);
      expect((await admin.get(`/api/v1/host-apps/ws-csrf/${app.appId}`)).statusCode).toBe(200);
    });
  });

  describe('sign-in (login CSRF: a foreign page must not sign the browser into an account of its choosing)', () => {
    const signIn = (headers: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: '/api/v1/session', headers, payload: { username: ADMIN.username, password: ADMIN.password } });

    it.each([
      ['another Origin', { origin: 'https://evil.example' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['a foreign Referer', { referer: 'https://evil.example/login' }],
    ])('refuses %s with 403 CSRF_REJECTED and sets no cookie', async (_what, headers) => {
      const res = await signIn(headers);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('CSRF_REJECTED');
      expect(res.cookies).toEqual([]);
    });

    it('signs in from the platform origin', async () => {
      const res = await signIn({ origin: 'http://mpop.test', 'sec-fetch-site': 'same-origin' });
      expect(res.statusCode).toBe(200);
      expect(res.cookies.map((c) => c.name)).toContain('mpop_session');
    });
  });
});
