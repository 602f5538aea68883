import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../packages/server/test/helpers/app.js';
import {
  absent,
  browserAvailable,
  hasText,
  hasValue,
  rowAction,
  settled,
  shot,
  signIn,
  signOut,
  startE2E,
  visible,
  type E2E,
  pressIn,
} from './helpers.js';

describe.runIf(browserAvailable)('Host App page in Chromium', () => {
  let e: E2E;
  let api: Client;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-e2e-'));
  const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const keyFile = path.join(tmp, 'private_key.pem');
  const ecFile = path.join(tmp, 'ec_key.pem');
  fs.writeFileSync(keyFile, rsaPem);
  fs.writeFileSync(ecFile, ecPem);

  beforeAll(async () => {
    e = await startE2E();
    api = await Client.signIn(e.server.app);
  });
  afterAll(async () => {
    await e?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('sends a signed-out visitor to sign in, then back to the page they asked for', async () => {
    const { page } = e;
    await page.goto('/host-apps?from=link');
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await hasText(page.getByRole('alert'), 'The user name or password is wrong.');
    await signIn(page);
    expect(new URL(page.url()).pathname).toBe('/host-apps');
    await visible(page.getByText('No host apps yet'));
  });

  let created: { appId: string; tenantId: string };

  it('adds an app, shows the APPID and Tenant ID, and copies them', async () => {
    const { page } = e;
    await page.getByRole('button', { name: 'Add App' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add App' });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await visible(dialog.getByText('Enter the App name.'));
    await dialog.getByLabel('App name').fill('Retail Super App');
    await dialog.getByLabel('workspaceId').fill('retail-prod');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await visible(dialog.getByText('The app has been added'));
    const appId = (await dialog.getByTestId('created-app-id').textContent())!;
    const tenantId = (await dialog.getByTestId('created-tenant-id').textContent())!;
    expect(appId).toMatch(/^[0-9A-F]{13}$/);
    expect(tenantId).toMatch(/^[A-Z]{8}$/);
    created = { appId, tenantId };
    await shot(page, 'add-app.png');

    await dialog.getByRole('button', { name: 'Copy APPID' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(appId);
    await dialog.getByRole('button', { name: 'Copy Tenant ID' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(tenantId);

    const fromApi = (await api.get(`/api/v1/host-apps/retail-prod/${appId}`)).json();
    expect(fromApi).toMatchObject({ name: 'Retail Super App', tenantId, devConfigured: false });
  });

  it("goes on to the development configuration, where a bad key shows the API's message and changes nothing", async () => {
    const { page } = e;
    await page.getByRole('button', { name: 'Go to Development Configuration' }).click();
    const dialog = page.getByRole('dialog', { name: /Make Development Configuration/ });
    await dialog.getByLabel('Virtual Domain').fill('Mini.Retail.Example.COM');
    await dialog.locator('input[type=file]').setInputFiles(ecFile);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await visible(dialog.getByText(/The key is a EC key; host apps verify packages with RSA/));
    expect((await api.get(`/api/v1/host-apps/retail-prod/${created.appId}/dev-config`)).statusCode).toBe(404);

    await dialog.locator('input[type=file]').setInputFiles(keyFile);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    const view = page.getByRole('dialog', { name: /View Development Configuration/ });
    await visible(view.getByText('mini.retail.example.com'));
    const fingerprint = createHash('sha256')
      .update(createPublicKey(rsaPem).export({ type: 'spki', format: 'der' }))
      .digest('hex');
    await hasText(view.getByTestId('key-fingerprint'), fingerprint);
    await hasValue(view.getByLabel('Public key'), /^-----BEGIN PUBLIC KEY-----/);
    expect(await view.textContent()).not.toContain('PRIVATE KEY');
    await view.getByRole('button', { name: 'Copy public key' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await shot(page, 'view-dev-config.png');
    const download = page.waitForEvent('download');
    await view.getByRole('link', { name: 'Download public key' }).click();
    const file = await (await download).path();
    expect(createPublicKey(fs.readFileSync(file!, 'utf8')).export({ type: 'spki', format: 'pem' })).toBe(
      createPublicKey(rsaPem).export({ type: 'spki', format: 'pem' }),
    );
    await view.getByRole('button', { name: 'Close' }).first().click();
    await visible(page.getByRole('row', { name: /Retail Super App/ }).getByText('Configured'));
  });

  it('works from the keyboard: Enter in the Add App dialog confirms it', async () => {
    const { page } = e;
    await page.getByRole('button', { name: 'Add App' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add App' });
    await dialog.getByLabel('App name').fill('Keyboard App');
    await dialog.getByLabel('workspaceId').press('Enter');
    await visible(dialog.getByText('The app has been added'));
    await page.keyboard.press('Escape');
    await absent(page.getByRole('dialog', { name: 'Add App' }));
    await visible(page.getByRole('row', { name: /Keyboard App/ }));
  });

  it('shows the basic information with copy buttons', async () => {
    const { page } = e;
    await rowAction(page, /Retail Super App/, 'View Basic Information');
    const dialog = page.getByRole('dialog', { name: 'Basic Information' });
    await hasText(dialog.getByTestId('info-app-id'), created.appId);
    await hasText(dialog.getByTestId('info-tenant-id'), created.tenantId);
    await dialog.getByRole('button', { name: 'Copy Tenant ID' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(created.tenantId);
    await dialog.getByRole('button', { name: 'Close' }).first().click();
  });

  it('queries by name on Enter', async () => {
    const { page } = e;
    for (const name of ['Travel Companion', 'Bank of Tomorrow']) await api.post('/api/v1/host-apps', { name, workspaceId: 'retail-prod' });
    await page.reload();
    await visible(page.getByRole('row', { name: /Travel Companion/ }));
    await absent(page.locator('.ant-spin-spinning, .ant-spin-blur'));
    await settled(page); // the table's fade-in, for a picture as a person sees it
    await shot(page, 'host-app-page.png');
    const search = page.getByPlaceholder('Enter the App name');
    await search.fill('travel');
    await search.press('Enter');
    await absent(page.getByRole('row', { name: /Retail Super App/ }));
    await visible(page.getByRole('row', { name: /Travel Companion/ }));
    await search.fill('nothing like this');
    await page.getByRole('button', { name: 'Search' }).click();
    await visible(page.getByText('No app matches "nothing like this".'));
    await search.fill('');
    await search.press('Enter');
    await visible(page.getByRole('row', { name: /Retail Super App/ }));
  });

  it('deletes only after a second confirmation that names the app (and a cancel keeps it)', async () => {
    const { page } = e;
    const row = () => page.getByRole('row', { name: /Bank of Tomorrow/ });
    await rowAction(page, /Bank of Tomorrow/, 'Delete');
    const confirm = page.getByRole('dialog').filter({ hasText: 'Delete the app "Bank of Tomorrow"?' });
    await pressIn(confirm, 'Cancel');
    await absent(confirm);
    await visible(row());
    await rowAction(page, /Bank of Tomorrow/, 'Delete');
    await pressIn(confirm, 'Confirm');
    await visible(page.getByText('The app "Bank of Tomorrow" has been deleted.'));
    await absent(row());
    const left = (await api.get('/api/v1/host-apps?query=Bank')).json();
    expect(left.total).toBe(0);
  });

  it('switches to Simplified Chinese', async () => {
    const { page } = e;
    await page.getByText('中文').click();
    await visible(page.getByRole('button', { name: '添加应用' }).first());
    await visible(page.getByRole('button', { name: '一键同步 mPaaS 后台应用' }).first());
    await page.getByText('EN', { exact: true }).click();
    await visible(page.getByRole('button', { name: 'Add App' }).first());
  });

  it("says a problem code it does not know (a newer server) in Chinese with the code, and keeps the server's English detail", async () => {
    const { page } = e;
    const list = (url: URL) => url.pathname === '/api/v1/host-apps';
    await page.route(list, (route) =>
      route.fulfill({
        status: 409,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'urn:mpop:problem:SOMETHING_NEWER',
          title: 'Something newer',
          status: 409,
          code: 'SOMETHING_NEWER',
          detail: 'A newer server refused this for a reason of its own.',
        }),
      }),
    );
    try {
      await page.getByText('中文').click();
      // Another query than the next test's, so that its search asks the server again.
      await page.getByPlaceholder('请输入应用名称').fill('Super');
      await page.getByPlaceholder('请输入应用名称').press('Enter');
      const alert = page.getByRole('alert').filter({ hasText: '列表加载失败。' });
      await visible(alert);
      await hasText(alert, /请求未完成（错误代码 SOMETHING_NEWER）。/);
      await visible(alert.locator('[lang="en"]').filter({ hasText: 'A newer server refused this for a reason of its own.' }));
      expect(await alert.textContent()).not.toContain('Something newer');

      // In English the server's own title and detail, as before.
      await page.getByText('EN', { exact: true }).click();
      const english = page.getByRole('alert').filter({ hasText: 'The list could not be loaded.' });
      await hasText(english, /Something newer.*A newer server refused this/);
      await page.unroute(list);
      await english.getByRole('button', { name: 'Retry' }).click();
      await absent(english);
      await visible(page.getByRole('row', { name: /Retail Super App/ }));
    } finally {
      await page.unroute(list); // also when a step failed, so the next tests meet the real server
    }
  });

  it('sends the user back to sign in when the session ends, then back to the page', async () => {
    const { page, context } = e;
    const cookie = (await context.cookies()).find((c) => c.name === 'mpop_session')!;
    await e.server.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: `mpop_session=${cookie.value}` } });
    await page.getByPlaceholder('Enter the App name').fill('Retail');
    await page.getByPlaceholder('Enter the App name').press('Enter');
    await page.waitForURL(/\/sign-in/);
    await visible(page.getByText('Your session has ended'));
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('admin-password-123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/host-apps/);
    await visible(page.getByRole('button', { name: 'Add App' }).first());
  });

  it('signs out: the cookie stops working and the sign-in page shows', async () => {
    const { page, context } = e;
    const cookie = (await context.cookies()).find((c) => c.name === 'mpop_session')!;
    await signOut(page);
    await page.waitForURL(/\/sign-in/);
    await visible(page.getByRole('button', { name: 'Sign in' }));
    const after = await e.server.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: `mpop_session=${cookie.value}` } });
    expect(after.statusCode).toBe(401);
  });
});
