import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestProvider } from '../packages/server/test/helpers/oidc-provider.js';
import { listenForCspViolations } from './csp-listener.js';
import { browserAvailable, freePort, hasText, startE2E, visible, type E2E } from './helpers.js';

/**
 * "Sign in with SSO" in Chromium against a real OpenID Connect provider (oidc-provider, started here): the console's
 * button, the provider's login and consent pages, and back to the console signed in with the role of the claim.
 */
describe.runIf(browserAvailable)('Single sign-on in the browser', () => {
  let provider: TestProvider;
  let e: E2E;
  let violations: string[];

  beforeAll(async () => {
    provider = await startOidcProvider({
      olivia: { preferred_username: 'olivia', email: 'olivia@example.com', mpop_role: 'operator' },
      nora: { preferred_username: 'nora' },
    });
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    provider.registerClient(`${baseUrl}/api/v1/session/oidc/callback`);
    e = await startE2E(
      {
        MPOP_PUBLIC_URL: baseUrl,
        MPOP_OIDC_ISSUER: provider.issuer,
        MPOP_OIDC_CLIENT_ID: provider.clientId,
        MPOP_OIDC_CLIENT_SECRET: provider.clientSecret,
        MPOP_OIDC_ROLE_CLAIM: 'mpop_role',
      },
      { port },
    );
    violations = await listenForCspViolations(e.context, e.page, e.baseUrl);
  });
  afterAll(async () => {
    await e?.close();
    await provider?.close();
  });

  /** Signs in at the provider's development pages (any login, any password), then consents. */
  async function atTheProvider(login: string) {
    const { page } = e;
    await page.waitForURL((u) => u.origin === provider.issuer);
    await page.getByPlaceholder('Enter any login').fill(login);
    await page.getByPlaceholder('and password').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('signs in with SSO from the sign-in page and comes back to the page asked for, with the role of the claim', async () => {
    const { page } = e;
    await page.goto('/mini-programs');
    await page.waitForURL(/\/sign-in/);
    await page.getByRole('link', { name: 'Sign in with SSO' }).click();
    await atTheProvider('olivia');
    await page.waitForURL(`${e.baseUrl}/mini-programs`);
    await visible(page.getByRole('button', { name: 'Register mini program' })); // an operator's action
    await visible(page.getByText('olivia'));
    const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
    expect(session).toEqual({ user: { username: 'olivia', role: 'operator', memberships: [] } });
    const cookie = (await e.context.cookies()).find((c) => c.name === 'mpop_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(violations).toEqual([]);
  });

  it.each(['/\t/evil.example', '/\\evil.example', '/.//evil.example', '/\u3000/x', '/host-apps?query=\u3000'])(
    'ends on the platform after signing in with next=%j, whatever the browser makes of it',
    async (next) => {
      const { page } = e;
      await e.context.clearCookies();
      await page.goto(`/api/v1/session/oidc/start?next=${encodeURIComponent(next)}`);
      await atTheProvider('olivia');
      // Wherever the callback's redirect leads, the browser stops there: it must be the platform, signed in.
      await page.waitForURL((u) => u.origin !== provider.issuer && !u.pathname.startsWith('/api/v1/session/oidc/'));
      await page.waitForLoadState('load');
      expect(new URL(page.url()).origin).toBe(e.baseUrl);
      const session = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
      expect(session).toBe(200);
    },
  );

  it('signs out, and a user without a role is sent back with the reason, in Chinese too', async () => {
    const { page } = e;
    await page.evaluate(async () => fetch('/api/v1/session', { method: 'DELETE' }));
    await e.context.clearCookies();
    await page.goto('/sign-in');
    await page.getByText('中文').click();
    await page.getByRole('link', { name: '使用 SSO 登录' }).click();
    await atTheProvider('nora');
    await page.waitForURL(/\/sign-in\?ssoError=SSO_ROLE_MISSING/);
    await hasText(page.getByRole('alert'), /没有为你分配 mpop 角色/);
    const session = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    expect(session).toBe(401);
    expect(violations).toEqual([]);
  });
});
