import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../packages/server/test/helpers/app.js';
import { releasedMiniProgram } from '../packages/server/test/helpers/packages.js';
import { listenForCspViolations } from './csp-listener.js';
import { browserAvailable, signIn, startE2E, visible, type E2E } from './helpers.js';

/**
 * The console and the API documentation run under the platform's Content-Security-Policy without a single
 * violation: every page is visited (and its dialogs opened, since Ant Design injects styles as they appear), in
 * both languages, while the browser reports each violation it sees.
 */
describe.runIf(browserAvailable)('Content-Security-Policy in the browser', () => {
  let e: E2E;
  let violations: string[];
  let miniProgramId: string;

  beforeAll(async () => {
    e = await startE2E();
    violations = await listenForCspViolations(e.context, e.page, e.baseUrl);
    const api = await Client.signIn(e.server.app);
    await api.post('/api/v1/host-apps', { name: 'Wallet', workspaceId: 'default' });
    miniProgramId = (await releasedMiniProgram(api, 'Coupons')).id;
  });
  afterAll(() => e?.close());

  it('sends the policy with the console document', async () => {
    const res = await e.page.request.get(`${e.baseUrl}/host-apps`);
    expect(res.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers()['x-frame-options']).toBe('DENY');
  });

  it('shows the sign-in page, and signs in, with no violation', async () => {
    await e.page.goto('/sign-in');
    await visible(e.page.getByRole('button', { name: 'Sign in' }));
    await signIn(e.page);
    expect(violations).toEqual([]);
  });

  it('shows the Host App page and its dialogs with no violation', async () => {
    const { page } = e;
    await page.goto('/host-apps');
    await visible(page.getByRole('row', { name: /Wallet/ }));
    await page.getByRole('button', { name: 'Add App' }).click();
    await visible(page.getByRole('dialog'));
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Sync mPaaS Backend Apps with One Click' }).click();
    await visible(page.getByRole('dialog'));
    await page.keyboard.press('Escape');
    expect(violations).toEqual([]);
  });

  it('shows the Mini Programs page, its versions and the Adoption view with no violation', async () => {
    const { page } = e;
    await page.goto('/mini-programs');
    await visible(page.getByRole('row', { name: /Coupons/ }));
    await page.goto(`/mini-programs/${miniProgramId}/adoption`);
    await visible(page.getByTestId('adoption-panel'));
    expect(violations).toEqual([]);
  });

  it('shows the not-found page and the Chinese console with no violation', async () => {
    const { page } = e;
    await page.goto('/no/such/page');
    await page.waitForLoadState('networkidle');
    await page.goto('/host-apps');
    await page.getByText('中文').click();
    await visible(page.getByRole('button', { name: '添加应用' }));
    await page.getByText('EN', { exact: true }).click();
    expect(violations).toEqual([]);
  });

  it('shows the API documentation (Swagger UI) and expands an operation with no violation', async () => {
    const { page } = e;
    await page.goto('/api/docs');
    await visible(page.locator('.swagger-ui .opblock').first());
    await page.locator('.swagger-ui .opblock-summary').first().click();
    await visible(page.locator('.swagger-ui .opblock-body').first());
    await page.waitForLoadState('networkidle');
    expect(violations).toEqual([]);
  });

  it('notices a violation (the listener works): an inline script is refused', async () => {
    const { page } = e;
    await page.goto('/sign-in');
    const before = violations.length;
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.injected = true';
      document.body.append(s);
    });
    await expect.poll(() => violations.length, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(await page.evaluate(() => (window as unknown as { injected?: boolean }).injected)).toBeUndefined();
    violations.length = before;
  });
});
