import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { startOidcProvider, type TestProvider } from './helpers/oidc-provider.js';
import { SsoBrowser } from './helpers/sso-browser.js';
import { safeNext } from '../src/modules/auth/oidc.service.js';

const CALLBACK = 'http://mpop.test/api/v1/session/oidc/callback';

const ACCOUNTS = {
  alice: { preferred_username: 'alice', email: 'alice@example.com', mpop_role: 'admin' },
  oscar: { preferred_username: 'oscar', mpop_role: ['staff', 'Operator'] },
  nobody: { preferred_username: 'nobody' },
  // Claims to be the local admin: must get an account of its own, never the admin's.
  impostor: { preferred_username: 'admin', mpop_role: 'viewer' },
  promoted: { preferred_username: 'promoted', mpop_role: 'viewer' },
  keycloak: { preferred_username: 'kc.user', realm_access: { roles: ['offline_access', 'operator'] } },
  日本語ユーザー: { mpop_role: 'viewer' },
};

/** `next` values that must not take the browser off the platform (nor fail the redirect). */
const HOSTILE_NEXT = [
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/\t\\evil.example',
  '//evil.example',
  '/\\evil.example',
  '\\/evil.example',
  '/\\/evil.example',
  '/.//evil.example',
  '/./\\evil.example',
  '/..//evil.example',
  ' //evil.example',
  'https://evil.example/',
  'http:evil.example',
  'http://mpop.test@evil.example/',
  '//mpop.test@evil.example',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '/\u3000/x',
  '\u3000//evil.example',
  '/\u2028/evil.example',
  '/%09/evil.example',
  '/%2F%2Fevil.example',
  '/\ufeff/evil.example',
];

const ssoEnv = (p: TestProvider, extra: Record<string, string> = {}) => ({
  MPOP_OIDC_ISSUER: p.issuer,
  MPOP_OIDC_CLIENT_ID: p.clientId,
  MPOP_OIDC_CLIENT_SECRET: p.clientSecret,
  MPOP_OIDC_ROLE_CLAIM: 'mpop_role',
  ...extra,
});

describe.each(dialects)('single sign-on with OpenID Connect on %s', (dialect) => {
  let provider: TestProvider;
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    provider = await startOidcProvider(ACCOUNTS);
    provider.registerClient(CALLBACK);
    t = await startApp(dialect, ssoEnv(provider));
    admin = await Client.signIn(t.app);
  });
  afterAll(async () => {
    await t.destroy();
    await provider.close();
  });

  const signedIn = async (b: SsoBrowser) => (await new Client(t.app, b.sessionCookie).get('/api/v1/session')).json();
  const users = async () => (await admin.get('/api/v1/users')).json().items as { username: string; role: string; sso: boolean }[];

  it('offers both ways of signing in (GET /api/v1/session/options, public)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/session/options' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ localSignIn: true, sso: true, publicUrl: t.config.publicUrl });
  });

  it('starts with a redirect to the provider: code flow, PKCE S256, state, nonce, and a sealed HttpOnly flow cookie', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/session/oidc/start' });
    expect(res.statusCode).toBe(302);
    const to = new URL(res.headers.location as string);
    expect(to.origin).toBe(provider.issuer);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: CALLBACK,
      code_challenge_method: 'S256',
    });
    for (const p of ['state', 'nonce', 'code_challenge']) expect(to.searchParams.get(p)?.length).toBeGreaterThan(20);
    const flow = res.cookies.find((c) => c.name === 'mpop_oidc')!;
    expect(flow).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/api/v1/session/oidc' });
    // Sealed: neither the state nor the verifier can be read from the cookie.
    expect(flow.value).not.toContain(to.searchParams.get('state'));
  });

  it('signs a new user in, creates them with the role of the claim, marks them as SSO users, and audits it', async () => {
    const b = new SsoBrowser(t.app);
    const last = await b.signInWithSso('alice');
    expect(last.status).toBe(303);
    expect(last.location).toBe('/');
    expect(b.cookie('mpop.test', 'mpop_oidc')).toBeUndefined(); // used once
    expect(await signedIn(b)).toEqual({ user: { username: 'alice', role: 'admin', memberships: [] } });
    expect((await users()).find((u) => u.username === 'alice')).toMatchObject({ role: 'admin', sso: true });
    expect((await users()).find((u) => u.username === 'admin')).toMatchObject({ sso: false });
    const events = (await admin.get('/api/v1/audit-events?pageSize=100')).json().items;
    expect(events.find((e: { action: string; target: string }) => e.action === 'user.created' && e.target === 'user:alice')).toMatchObject({
      actor: 'sso',
      details: { role: 'admin', via: 'sso' },
    });
    expect(events.find((e: { action: string; actor: string }) => e.action === 'session.created' && e.actor === 'alice')).toMatchObject({
      details: { method: 'sso' },
    });
  });

  it('gives the session the same cookie as a password sign-in: HttpOnly, SameSite=Strict, and it changes things', async () => {
    const b = new SsoBrowser(t.app);
    await b.signInWithSso('alice');
    const c = new Client(t.app, b.sessionCookie);
    expect((await c.post('/api/v1/host-apps', { name: 'Made after SSO', workspaceId: 'ws-sso' })).statusCode).toBe(201);
    const start = await t.app.inject({ method: 'GET', url: '/api/v1/session/oidc/start' });
    expect(start.statusCode).toBe(302);
  });

  it('maps the same identity to the same user next time, and follows a role change at the provider', async () => {
    ACCOUNTS.promoted.mpop_role = 'viewer';
    const first = new SsoBrowser(t.app);
    await first.signInWithSso('promoted');
    expect((await signedIn(first)).user).toEqual({ username: 'promoted', role: 'viewer', memberships: [] });
    ACCOUNTS.promoted.mpop_role = 'operator';
    const second = new SsoBrowser(t.app);
    await second.signInWithSso('promoted');
    expect((await signedIn(second)).user).toEqual({ username: 'promoted', role: 'operator', memberships: [] });
    expect((await users()).filter((u) => u.username.startsWith('promoted'))).toHaveLength(1);
  });

  it('takes the highest role from a list claim, case-insensitively', async () => {
    const b = new SsoBrowser(t.app);
    await b.signInWithSso('oscar');
    expect((await signedIn(b)).user).toEqual({ username: 'oscar', role: 'operator', memberships: [] });
  });

  it('never hands an existing account to an identity that claims its name', async () => {
    const b = new SsoBrowser(t.app);
    await b.signInWithSso('impostor');
    const { user } = await signedIn(b);
    expect(user.username).toMatch(/^admin-[0-9a-f]{8}$/);
    expect(user.role).toBe('viewer');
    expect((await users()).find((u) => u.username === 'admin')).toMatchObject({ role: 'admin', sso: false });
  });

  it('makes a user name of the platform form when the claims give none that fits', async () => {
    const b = new SsoBrowser(t.app);
    await b.signInWithSso('日本語ユーザー');
    expect((await signedIn(b)).user).toMatchObject({ username: expect.stringMatching(/^sso-[0-9a-f]{12}$/), role: 'viewer' });
  });

  it('refuses an identity without a role (no claim, no default role): back to the sign-in page with SSO_ROLE_MISSING', async () => {
    const before = await users();
    const b = new SsoBrowser(t.app);
    const last = await b.signInWithSso('nobody');
    expect(last.status).toBe(303);
    expect(last.location).toBe('/sign-in?ssoError=SSO_ROLE_MISSING');
    expect(b.sessionCookie).toBeUndefined();
    expect(await users()).toEqual(before);
  });

  it('answers API clients (no text/html) with the problem itself', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/session/oidc/callback?code=x&state=y' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'SSO_FAILED' });
    expect(res.json().detail).toMatch(/not started here/);
  });

  it('refuses a callback whose state does not match the flow (a forged or swapped callback)', async () => {
    const b = new SsoBrowser(t.app);
    const start = await b.request('GET', new URL('/api/v1/session/oidc/start', b.platformOrigin));
    expect(start.status).toBe(302);
    const res = await b.request('GET', new URL('/api/v1/session/oidc/callback?code=forged&state=forged', b.platformOrigin));
    expect(res.location).toBe('/sign-in?ssoError=SSO_FAILED');
    expect(b.sessionCookie).toBeUndefined();
  });

  it('refuses a tampered flow cookie', async () => {
    const b = new SsoBrowser(t.app);
    await b.request('GET', new URL('/api/v1/session/oidc/start', b.platformOrigin));
    const sealed = b.cookie('mpop.test', 'mpop_oidc')!;
    b.setCookie('mpop.test', 'mpop_oidc', `${sealed.slice(0, -4)}AAAA`);
    const res = await b.request('GET', new URL('/api/v1/session/oidc/callback?code=x&state=y', b.platformOrigin));
    expect(res.location).toBe('/sign-in?ssoError=SSO_FAILED');
  });

  it('refuses a callback replayed after it was used (the code and the flow are single-use)', async () => {
    const b = new SsoBrowser(t.app);
    let page = await b.follow('GET', new URL('/api/v1/session/oidc/start', b.platformOrigin));
    page = await b.submit(page, { login: 'alice', password: 'x' });
    if (page.url.origin !== b.platformOrigin) page = await b.submit(page);
    const callback = page.url;
    expect(callback.pathname).toBe('/api/v1/session/oidc/callback');
    expect(page.location).toBe('/');
    const flowBefore = b.cookie('mpop.test', 'mpop_oidc');
    expect(flowBefore).toBeUndefined();
    const replay = await b.request('GET', callback);
    expect(replay.location).toBe('/sign-in?ssoError=SSO_FAILED');
  });

  it('passes on the provider refusing the sign-in', async () => {
    const b = new SsoBrowser(t.app);
    const start = await b.request('GET', new URL('/api/v1/session/oidc/start', b.platformOrigin));
    const state = new URL(start.location!).searchParams.get('state');
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/session/oidc/callback?error=access_denied&error_description=End-User%20aborted&state=${state}`,
      headers: { cookie: `mpop_oidc=${b.cookie('mpop.test', 'mpop_oidc')}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/refused the sign-in \(access_denied: End-User aborted\)/);
  });

  it('returns to the page the user came from, but never to another site', async () => {
    const back = await new SsoBrowser(t.app).signInWithSso('alice', '/api/v1/session/oidc/start?next=%2Fmini-programs%3Fpage%3D2');
    expect(back.location).toBe('/mini-programs?page=2');
    const away = await new SsoBrowser(t.app).signInWithSso('alice', '/api/v1/session/oidc/start?next=%2F%2Fevil.example%2Fx');
    expect(away.location).toBe('/');
  });

  it.each(HOSTILE_NEXT)('after signing in, never leaves the platform for next=%j (always a 303 to a path of its own)', async (next) => {
    const page = await new SsoBrowser(t.app).signInWithSso('alice', `/api/v1/session/oidc/start?next=${encodeURIComponent(next)}`);
    expect(page.status, page.body).toBe(303);
    const location = page.location!;
    expect(location).toMatch(/^\/(?![/\\])/);
    expect(location).toMatch(/^[\x21-\x7e]+$/); // what a header can carry: no 500 for U+3000
    // Read the way a browser reads Location: it stays on the platform's origin.
    expect(new URL(location, 'http://mpop.test/api/v1/session/oidc/callback').origin).toBe('http://mpop.test');
  });

  it('keeps a path with characters a header cannot carry, percent-encoded as a browser would send it', async () => {
    const page = await new SsoBrowser(t.app).signInWithSso(
      'alice',
      `/api/v1/session/oidc/start?next=${encodeURIComponent('/host-apps?query=\u3000Acme#top')}`,
    );
    expect(page.status).toBe(303);
    expect(page.location).toBe('/host-apps?query=%E3%80%80Acme#top');
  });

  it('never lets a user of single sign-on sign in with a password', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'alice', password: 'sso' },
      remoteAddress: '10.9.9.9',
    });
    expect(res.statusCode).toBe(401);
  });

  it('reads a nested claim such as Keycloak realm_access.roles', async () => {
    const kc = await startApp(dialect, ssoEnv(provider, { MPOP_OIDC_ROLE_CLAIM: 'realm_access.roles' }));
    try {
      const b = new SsoBrowser(kc.app);
      await b.signInWithSso('keycloak');
      expect((await new Client(kc.app, b.sessionCookie).get('/api/v1/session')).json().user).toEqual({
        username: 'kc.user',
        role: 'operator',
        memberships: [],
      });
    } finally {
      await kc.destroy();
    }
  });

  it('gives the default role (MPOP_OIDC_DEFAULT_ROLE) to an identity without a role claim', async () => {
    const d = await startApp(dialect, ssoEnv(provider, { MPOP_OIDC_DEFAULT_ROLE: 'viewer' }));
    try {
      const b = new SsoBrowser(d.app);
      await b.signInWithSso('nobody');
      expect((await new Client(d.app, b.sessionCookie).get('/api/v1/session')).json().user).toEqual({
        username: 'nobody',
        role: 'viewer',
        memberships: [],
      });
    } finally {
      await d.destroy();
    }
  });

  it('with MPOP_LOCAL_SIGNIN=off refuses passwords (403 LOCAL_SIGNIN_DISABLED) and still signs in with SSO', async () => {
    const off = await startApp(dialect, ssoEnv(provider, { MPOP_LOCAL_SIGNIN: 'off' }));
    try {
      expect((await off.app.inject({ method: 'GET', url: '/api/v1/session/options' })).json()).toEqual({
        localSignIn: false,
        sso: true,
        publicUrl: off.config.publicUrl,
      });
      const res = await off.app.inject({ method: 'POST', url: '/api/v1/session', payload: ADMIN });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('LOCAL_SIGNIN_DISABLED');
      expect(res.cookies).toEqual([]);
      const b = new SsoBrowser(off.app);
      await b.signInWithSso('alice');
      expect((await new Client(off.app, b.sessionCookie).get('/api/v1/session')).statusCode).toBe(200);
    } finally {
      await off.destroy();
    }
  });
});

describe('single sign-on, provider variations', () => {
  it('reads the role from the user info when the provider keeps it out of the ID token', async () => {
    const provider = await startOidcProvider(ACCOUNTS, { idTokenClaims: false });
    provider.registerClient(CALLBACK);
    const t = await startApp('sqlite', ssoEnv(provider));
    try {
      const b = new SsoBrowser(t.app);
      await b.signInWithSso('oscar');
      expect((await new Client(t.app, b.sessionCookie).get('/api/v1/session')).json().user).toEqual({
        username: 'oscar',
        role: 'operator',
        memberships: [],
      });
    } finally {
      await t.destroy();
      await provider.close();
    }
  });

  it('says which variables to set when SSO is not configured (404 SSO_NOT_CONFIGURED) and offers only passwords', async () => {
    const t = await startApp('sqlite');
    try {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/session/options' })).json()).toEqual({
        localSignIn: true,
        sso: false,
        publicUrl: 'http://mpop.test',
      });
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/session/oidc/start' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'SSO_NOT_CONFIGURED', detail: expect.stringContaining('MPOP_OIDC_ISSUER') });
    } finally {
      await t.destroy();
    }
  });

  it('answers 502 SSO_FAILED when the provider cannot be reached, and recovers once it can', async () => {
    const provider = await startOidcProvider(ACCOUNTS);
    const t = await startApp('sqlite', ssoEnv(provider)); // the provider answers 503 until its client is registered
    try {
      const down = await t.app.inject({ method: 'GET', url: '/api/v1/session/oidc/start' });
      expect(down.statusCode).toBe(502);
      expect(down.json().code).toBe('SSO_FAILED');
      provider.registerClient(CALLBACK);
      const b = new SsoBrowser(t.app);
      await b.signInWithSso('alice');
      expect(b.sessionCookie).toBeDefined();
    } finally {
      await t.destroy();
      await provider.close();
    }
  });
});

describe('safeNext', () => {
  it.each([
    ['/mini-programs?page=2#x', '/mini-programs?page=2#x'],
    ['/host-apps?query=\u3000', '/host-apps?query=%E3%80%80'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/\t/evil.example', '/'],
    ['/.//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['//evil.example', '/'],
    ['https://evil.example', '/'],
    ['http://mpop.test/x', '/'],
    [42, '/'],
  ])('%j → %j', (next, expected) => {
    expect(safeNext(next, 'http://mpop.test')).toBe(expected);
  });
});
