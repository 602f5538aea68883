import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { Client } from '../packages/server/test/helpers/app.js';
import { absent, browserAvailable, hasText, rowAction, shot, signIn, signOut, startE2E, visible, type E2E, pressIn } from './helpers.js';

/** Collects Content-Security-Policy violations a page reports (the console must run under the server's policy). */
async function watchCsp(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.exposeBinding('__cspViolation', (_source, text: string) => violations.push(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __cspViolation: (t: string) => void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return violations;
}

/** The items of the side menu (the first navigation landmark; its name follows the UI language). */
const menu = (page: Page) => page.getByRole('navigation').first().getByRole('menuitem');

describe.runIf(browserAvailable)('the operators’ console by role, in Chromium', () => {
  let e: E2E;
  let api: Client;
  let csp: string[];
  const users = { olga: 'olga-password-123', vera: 'vera-password-123' };

  beforeAll(async () => {
    e = await startE2E();
    csp = await watchCsp(e.context);
    api = await Client.signIn(e.server.app);
    await api.post('/api/v1/users', { username: 'olga', password: users.olga, role: 'operator' });
    await api.post('/api/v1/users', { username: 'vera', password: users.vera, role: 'viewer' });
    for (const name of ['Retail Super App', 'Travel Companion']) await api.post('/api/v1/host-apps', { name, workspaceId: 'retail' });
  });
  afterAll(async () => {
    await e?.close();
  });
  // The tests share the admin's page. One that failed half-way may have left a dialog open over it, into which its
  // retry (CI runs a failed test once more) and the next tests would click: each starts from the page as a reload
  // shows it. A passing test closes its dialogs, so this does nothing then.
  beforeEach(async () => {
    if (e && (await e.page.locator('.ant-modal-wrap:visible').count()) > 0) await e.page.reload();
  });
  /** Attempts of the users test: a retry adds a user of another name (the first attempt's may exist). */
  let usersAttempts = 0;

  /** Signs in as someone else in a fresh page (the admin's page stays signed in). */
  async function pageAs(username: string, password: string, viewport = { width: 1440, height: 900 }) {
    const context = await e.browser.newContext({ baseURL: e.baseUrl, locale: 'en-US', viewport, acceptDownloads: true });
    const violations = await watchCsp(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto('/host-apps');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await visible(page.getByRole('heading', { name: 'Host App' }));
    return { context, page, violations };
  }

  it('an admin sees every page; the Host App list offers every action', async () => {
    const { page } = e;
    await signIn(page);
    await expect
      .poll(() => menu(page).allTextContents())
      .toEqual([
        'Host App',
        'Mini Programs',
        'Organisations',
        'Association Requests',
        'Review Queue',
        'Users',
        'API Tokens',
        'Audit Log',
        'Signing Jobs',
        'Webhooks',
      ]);
    await visible(page.getByRole('button', { name: 'Add App' }).first());
    await page
      .getByRole('row', { name: /Retail Super App/ })
      .getByRole('button', { name: 'More' })
      .click();
    await visible(page.getByRole('menuitem', { name: 'Delete' }));
    await visible(page.getByRole('menuitem', { name: 'Make Development Configuration' }));
    await page.keyboard.press('Escape');
  });

  it('an operator sees no Users page (not in the menu, and refused by address) but may change host apps', async () => {
    const { context, page, violations } = await pageAs('olga', users.olga);
    await expect
      .poll(() => menu(page).allTextContents())
      .toEqual([
        'Host App',
        'Mini Programs',
        'Organisations',
        'Association Requests',
        'Review Queue',
        'API Tokens',
        'Audit Log',
        'Signing Jobs',
      ]);
    await visible(page.getByRole('button', { name: 'Add App' }).first());
    await page.goto('/users');
    await visible(page.getByText('Your role (Operator) may not open this page.'));
    await page.goto('/signing-jobs');
    await visible(page.getByRole('button', { name: /Retry Missing Signatures/ }));
    expect(violations).toEqual([]);
    await context.close();
  });

  it('a viewer sees no Add App, Sync, Delete or Make Development Configuration, and no retry', async () => {
    const { context, page, violations } = await pageAs('vera', users.vera);
    await visible(page.getByRole('row', { name: /Retail Super App/ }));
    expect(await page.getByRole('button', { name: 'Add App' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Sync mPaaS/ }).count()).toBe(0);
    await page
      .getByRole('row', { name: /Retail Super App/ })
      .getByRole('button', { name: 'More' })
      .click();
    await visible(page.getByRole('menuitem', { name: 'Mini Programs' }));
    expect(await page.getByRole('menuitem', { name: 'Delete' }).count()).toBe(0);
    expect(await page.getByRole('menuitem', { name: 'Make Development Configuration' }).count()).toBe(0);
    await page.keyboard.press('Escape');
    await menu(page).filter({ hasText: 'Mini Programs' }).click();
    await visible(page.getByRole('main').getByText('Mini Programs', { exact: true }));
    expect(await page.getByRole('button', { name: /Register Mini Program/ }).count()).toBe(0);
    await menu(page).filter({ hasText: 'Signing Jobs' }).click();
    await visible(page.getByRole('heading', { name: 'Signing Jobs' }));
    expect(await page.getByRole('button', { name: /Retry Missing Signatures/ }).count()).toBe(0);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('users: add with a role, change the role, reset the password, disable, enable and delete; the last admin is protected', async () => {
    const { page } = e;
    const name = ++usersAttempts === 1 ? 'dana' : `dana-${usersAttempts}`;
    /** Her row (its accessible name starts with the user name; `dana` is not `dana-2`). */
    const named = new RegExp(`^${name}(?!-)`);
    await menu(page).filter({ hasText: 'Users' }).click();
    await visible(page.getByRole('heading', { name: 'Users' }));
    const admin = page.getByRole('row', { name: /admin/ }).first();
    expect(await admin.getByRole('button', { name: 'Change Role' }).isDisabled()).toBe(true);
    await admin.getByRole('button', { name: 'Change Role' }).locator('..').hover();
    await visible(page.getByRole('tooltip').filter({ hasText: /last enabled admin/ }));

    await page.getByRole('button', { name: 'Add User' }).click();
    const add = page.getByRole('dialog', { name: 'Add User' });
    await add.getByLabel('Username').fill(name);
    await add.getByLabel('Password').fill('dana-password-123');
    await add.getByLabel('Role').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'Operator' }).click();
    await add.getByRole('button', { name: 'Confirm' }).click();
    const dana = page.getByRole('row', { name: named });
    await hasText(dana, /Operator.*Enabled/);

    await rowAction(page, named, 'Change Role');
    const role = page.getByRole('dialog', { name: `Change Role · ${name}` });
    await role.getByLabel('Role').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'Viewer' }).click();
    await role.getByRole('button', { name: 'Confirm' }).click();
    await hasText(dana, /Viewer/);

    await rowAction(page, named, 'Reset Password');
    const reset = page.getByRole('dialog', { name: `Reset Password · ${name}` });
    await reset.getByLabel('New password', { exact: true }).fill('dana-new-password-1');
    await reset.getByLabel('Confirm new password').fill('dana-new-password-1');
    await reset.getByRole('button', { name: 'Confirm' }).click();
    await absent(reset);
    const signInAs = (password: string) =>
      e.server.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: name, password }, remoteAddress: '10.7.7.7' });
    expect((await signInAs('dana-new-password-1')).statusCode).toBe(200);

    /** Confirms the dialog that asks this. */
    const confirm = (question: string) => pressIn(page.getByRole('dialog').filter({ hasText: question }), 'Confirm');
    await rowAction(page, named, 'Disable');
    await confirm(`Disable the user "${name}"?`);
    await hasText(dana, /Disabled/);
    expect((await signInAs('dana-new-password-1')).json().code).toBe('USER_DISABLED');
    await rowAction(page, named, 'Enable');
    await hasText(dana, /Enabled/);
    expect((await signInAs('dana-new-password-1')).statusCode).toBe(200);
    await shot(page, 'users-page.png');

    await rowAction(page, named, 'Delete');
    await confirm(`Delete the user "${name}"?`);
    await absent(dana);
    expect(((await api.get('/api/v1/users')).json().items as { username: string }[]).map((u) => u.username)).not.toContain(name);
  });

  it('API tokens: created once with Copy, works, shows its last use and expiry, and stops after revoke', async () => {
    const { page } = e;
    await menu(page).filter({ hasText: 'API Tokens' }).click();
    await visible(page.getByText(/No API tokens yet/));
    await page.getByRole('button', { name: 'Create Token' }).first().click();
    const create = page.getByRole('dialog', { name: 'Create Token' });
    await create.getByLabel('Name').fill('ci-deploy');
    await create.getByRole('button', { name: 'Confirm' }).click();
    const shown = page.getByRole('dialog', { name: 'Token created: copy it now' });
    const token = await shown.getByTestId('created-token').inputValue();
    expect(token).toMatch(/^mpop_/);
    await shown.getByRole('button', { name: 'Copy Token' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await shown.getByRole('button', { name: 'Close' }).last().click();
    await absent(shown);
    expect(await page.content()).not.toContain(token);

    const row = page.getByRole('row', { name: /ci-deploy/ });
    await hasText(row, /Never used.*in 3 months|Never used.*in 90 days/);
    const bearer = new Client(e.server.app, undefined, token);
    expect((await bearer.get('/api/v1/host-apps')).statusCode).toBe(200);
    await page.reload();
    await hasText(page.getByRole('row', { name: /ci-deploy/ }), /(now|seconds? ago|minutes? ago)/);

    await rowAction(page, /ci-deploy/, 'Revoke');
    await pressIn(page.getByRole('dialog').filter({ hasText: 'Revoke the token "ci-deploy"?' }), 'Revoke');
    await absent(page.getByRole('row', { name: /ci-deploy/ }));
    expect((await bearer.get('/api/v1/host-apps')).statusCode).toBe(401);
  });

  it('audit log: filters by actor, action and target, keeps them on reload, pages, and exports the filtered CSV', async () => {
    const { page } = e;
    for (let i = 0; i < 22; i++) await api.post('/api/v1/host-apps', { name: `Audit ${i}`, workspaceId: 'audit-ws' });
    await menu(page).filter({ hasText: 'Audit Log' }).click();
    await visible(page.getByRole('row', { name: /Host app added/ }).first());
    await page.getByLabel('Target contains').fill('audit-ws');
    await page.getByLabel('Action').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'Host app added' }).click();
    await page.getByLabel('Actor contains').fill('admin');
    await page.getByRole('button', { name: /Search/ }).click();
    await hasText(page.getByRole('navigation', { name: 'Pages' }), /Total: 22/);
    await page.waitForURL(/target=audit-ws/);
    await page.reload();
    await hasText(page.getByRole('navigation', { name: 'Pages' }), /Total: 22/);
    expect(await page.getByLabel('Target contains').inputValue()).toBe('audit-ws');
    await page.getByRole('button', { name: 'Page 2' }).click();
    await expect.poll(() => page.getByRole('row', { name: /host-app:audit-ws/ }).count()).toBe(2);

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /Export CSV/ }).click();
    const file = await (await download).path();
    const lines = fs
      .readFileSync(file!, 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('at,actor,action,target,details,address');
    expect(lines).toHaveLength(23);
    expect(lines.slice(1).every((l) => l.includes(',admin,host-app.created,host-app:audit-ws/'))).toBe(true);
    await shot(page, 'audit-log.png');
  });

  it('changes the own password from the user menu; the other session ends', async () => {
    const { context, page } = await pageAs('vera', users.vera);
    const other = await Client.signIn(e.server.app, 'vera', users.vera);
    await page.getByRole('button', { name: /^Account vera/ }).click();
    await page.getByRole('menuitem', { name: 'Change Password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change Password' });
    await dialog.getByLabel('Current password').fill('not-veras-password');
    await dialog.getByLabel('New password', { exact: true }).fill('vera-new-password-1');
    await dialog.getByLabel('Confirm new password').fill('vera-new-password-1');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await visible(dialog.getByText('The current password is wrong.'));
    await dialog.getByLabel('Current password').fill(users.vera);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await visible(page.getByText(/Your password has been changed/));
    expect((await other.get('/api/v1/session')).statusCode).toBe(401);
    await menu(page).filter({ hasText: 'Audit Log' }).click();
    await visible(page.getByRole('heading', { name: 'Audit Log' }));
    users.vera = 'vera-new-password-1';
    await signOut(page);
    await context.close();
  });

  it('at 1024 px the Operation column fits and its More menu works; reload keeps the query and the page', async () => {
    for (let i = 0; i < 12; i++)
      await api.post('/api/v1/host-apps', { name: `Narrow ${String(i).padStart(2, '0')}`, workspaceId: 'narrow' });
    const { context, page, violations } = await pageAs('olga', users.olga, { width: 1024, height: 768 });
    const search = page.getByPlaceholder('Enter the app name');
    await search.fill('narrow');
    await search.press('Enter');
    await hasText(page.getByRole('navigation', { name: 'Pages' }), /Total: 12/);
    await page.getByRole('button', { name: 'Page 2' }).click();
    await page.waitForURL(/query=narrow.*page=2|page=2.*query=narrow/);
    await page.reload();
    expect(await search.inputValue()).toBe('narrow');
    await expect.poll(() => page.getByRole('row', { name: /Narrow/ }).count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Page 2' }).getAttribute('aria-current')).toBe('page');

    // Nothing scrolls sideways: the table fits, and the More button is on screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const row = page.getByRole('row', { name: /Narrow/ }).first();
    const more = row.getByRole('button', { name: 'More' });
    const box = await more.boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(1024);
    await shot(page, 'host-app-1024.png');
    await more.click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog').filter({ hasText: /Delete the app "Narrow/ });
    await pressIn(confirm, 'Cancel');
    await absent(confirm);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('shows the console in Chinese, statuses and dates included', async () => {
    const { page } = e;
    await menu(page).filter({ hasText: 'Host App' }).click();
    await page.getByRole('button', { name: '中文' }).click();
    await visible(page.getByRole('heading', { name: '宿主应用' }));
    await page.getByPlaceholder('请输入应用名称').fill('Retail');
    await page.getByPlaceholder('请输入应用名称').press('Enter');
    await visible(page.getByRole('row', { name: /Retail Super App/ }).getByText('未配置'));
    await visible(page.getByText('共 1 个应用'));
    await menu(page).filter({ hasText: '审计日志' }).click();
    await visible(page.getByRole('row', { name: /添加宿主应用/ }).first());
    await hasText(page.getByRole('row', { name: /添加宿主应用/ }).first(), /\d{4}年\d{1,2}月\d{1,2}日/);
    await page.getByRole('button', { name: 'EN' }).click();
    await visible(page.getByRole('heading', { name: 'Audit Log' }));
  });

  it('ran every page without a Content-Security-Policy violation', () => {
    expect(csp).toEqual([]);
  });
});
