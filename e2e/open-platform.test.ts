import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { Client, devConfigForm } from '../packages/server/test/helpers/app.js';
import { miniProgramZip, packageForm } from '../packages/server/test/helpers/packages.js';
import {
  absent,
  browserAvailable,
  eventually,
  hasText,
  rowAction,
  settled,
  shot,
  startE2E,
  visible,
  type E2E,
  pressIn,
  openedDialog,
} from './helpers.js';

/** The items of the side menu. */
const menu = (page: Page) => page.getByRole('navigation').first().getByRole('menuitem');

/**
 * The open platform from both sides: a developer of an outside organisation (a user with no platform role) and an
 * operator of the platform, each in their own browser, through review and association to a release a host app gets.
 */
describe.runIf(browserAvailable)('the open platform in Chromium: a developer submits, an operator reviews and releases', () => {
  let e: E2E;
  let admin: Client;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-e2e-open-'));
  const zipFile = path.join(tmp, 'coupons.zip');
  const users = { dev: 'dev-password-12345', olga: 'olga-password-12345' };
  let appId: string;
  let dev: { context: BrowserContext; page: Page };
  let olga: { context: BrowserContext; page: Page };
  let miniProgramId: string;
  const REASON = 'The coupons page asks for the camera without saying why: explain it in the description.';

  beforeAll(async () => {
    fs.writeFileSync(zipFile, await miniProgramZip('pages/coupons/list'));
    e = await startE2E();
    admin = await Client.signIn(e.server.app);
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    appId = (await admin.post('/api/v1/host-apps', { name: 'Wallet', workspaceId: 'retail' })).json().appId;
    await admin.put(`/api/v1/host-apps/retail/${appId}/dev-config`, devConfigForm('wallet.example.com', pem));
    // A member-only user (no role) who owns an outside organisation, and an operator of the platform.
    expect((await admin.post('/api/v1/users', { username: 'dev', password: users.dev })).statusCode).toBe(201);
    expect((await admin.post('/api/v1/users', { username: 'olga', password: users.olga, role: 'operator' })).statusCode).toBe(201);
    const org = await admin.post('/api/v1/organisations', { name: 'Acme Vendors', owner: 'dev' });
    expect(org.statusCode).toBe(201);
    expect(org.json().reviewRequired).toBe(true);
    dev = await pageAs('dev', users.dev, 'My Mini Programs');
    olga = await pageAs('olga', users.olga, 'Host App');
  });
  afterAll(async () => {
    await e?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Signs in as someone in a fresh browser context, and waits for the page they start on. */
  async function pageAs(username: string, password: string, landing: string) {
    const context = await e.browser.newContext({ baseURL: e.baseUrl, locale: 'en-US', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await visible(page.getByRole('heading', { name: landing }));
    return { context, page };
  }

  /** The developer's versions dialog of Coupons, opened afresh (so it shows the latest review state). */
  async function devVersions() {
    const { page } = dev;
    await menu(page).filter({ hasText: 'My Mini Programs' }).click();
    await visible(page.getByRole('row', { name: /Coupons/ }));
    await rowAction(page, /Coupons/, 'Versions');
    return openedDialog(page, 'Versions · Coupons');
  }

  /** The operator's review of the version in the queue. */
  async function olgaReview(version: string) {
    const { page } = olga;
    await menu(page).filter({ hasText: 'Review Queue' }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    const row = new RegExp(`Coupons.*${version.replaceAll('.', '\\.')}`);
    await visible(page.getByRole('row', { name: row }));
    await rowAction(page, row, 'Review');
    return openedDialog(page, `Review ${version} · Coupons`);
  }

  it('a member sees only the Developer Backend: no host apps', async () => {
    const { page } = dev;
    await eventually(() => menu(page).allTextContents()).toEqual(['My Mini Programs', 'Association Requests', 'API Tokens']);
    await page.goto('/host-apps');
    await visible(page.getByText('Your role (Organisation member only) may not open this page.'));
    expect(await page.getByRole('table', { name: 'Host App' }).count()).toBe(0);
    await page.goto('/developer/mini-programs');
    await visible(page.getByRole('heading', { name: 'My Mini Programs' }));
  });

  it('the developer creates a mini program in the organisation, uploads a version and submits it with a note', async () => {
    const { page } = dev;
    await page.getByRole('button', { name: 'Create Mini Program' }).first().click();
    const create = await openedDialog(page, 'Create Mini Program');
    await hasText(create, /Acme Vendors/); // the only organisation, chosen already
    await create.getByLabel('Mini program name').fill('Coupons');
    await create.getByRole('button', { name: 'Confirm' }).click();
    const row = page.getByRole('row', { name: /Coupons/ });
    await hasText(row, /Acme Vendors/);
    miniProgramId = ((await row.locator('code').first().textContent()) ?? '').trim();
    expect(miniProgramId).toMatch(/^\d{16}$/);

    await visible(page.getByRole('row', { name: /Coupons/ }));
    await rowAction(page, /Coupons/, 'Upload Package');
    const up = await openedDialog(page, /Upload Package · Coupons/);
    await up.getByLabel('Version', { exact: true }).fill('1.0.0.0');
    await up.locator('input[type=file]').setInputFiles(zipFile);
    await up.getByRole('button', { name: 'Confirm' }).click();
    // The versions open with the new one: its checks ran at upload, its review is a draft.
    const versions = await openedDialog(page, 'Versions · Coupons');
    const v1 = versions.getByRole('row', { name: /1\.0\.0\.0/ });
    await hasText(v1, /Draft/);
    await visible(versions.getByRole('list', { name: 'Automatic checks' }));
    await v1.getByRole('button', { name: 'Submit for Review' }).click();
    const submit = await openedDialog(page, 'Submit 1.0.0.0 of Coupons for review');
    await submit.getByLabel('Note (optional)').fill('First version: coupons of the week.');
    await submit.getByRole('button', { name: 'Submit for Review' }).click();
    await hasText(v1, /In review/);
    await visible(v1.getByRole('button', { name: 'Withdraw' }));
    await versions.getByRole('button', { name: 'Close' }).last().click();
    await absent(versions);
  });

  it('the developer asks for the mini program to reach the Wallet host app', async () => {
    const { page } = dev;
    await menu(page).filter({ hasText: 'Association Requests' }).click();
    await page.getByRole('button', { name: 'Request Association' }).first().click();
    const ask = await openedDialog(page, 'Request Association');
    await ask.getByLabel('Mini program').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'Coupons' }).click();
    await ask.getByLabel('workspaceId').fill('retail');
    await ask.getByLabel('APPID').fill(appId);
    await ask.getByLabel('Note (optional)').fill('Coupons for wallet users.');
    await ask.getByRole('button', { name: 'Confirm' }).click();
    await hasText(page.getByRole('row', { name: new RegExp(appId) }), /Pending/);
  });

  it('the operator rejects the version with a reason; the developer reads it and submits again', async () => {
    const review = await olgaReview('1.0.0.0');
    // The checks beside the change since the last release (none yet: every file is new).
    await visible(review.getByRole('list', { name: 'Automatic checks' }));
    await visible(review.getByText('First version: coupons of the week.'));
    await visible(review.getByText(/none released yet/));
    await review.getByRole('button', { name: 'Reject' }).click();
    const reject = await openedDialog(olga.page, 'Reject 1.0.0.0 of Coupons');
    // A rejection needs a reason.
    await reject.getByRole('button', { name: 'Reject' }).click();
    await visible(reject.getByText('Enter the reason: the developer sees it and can act on it.'));
    await reject.getByLabel('Reason').fill(REASON);
    await reject.getByRole('button', { name: 'Reject' }).click();
    await absent(review);
    await absent(olga.page.getByRole('row', { name: /Coupons/ }));

    const versions = await devVersions();
    const v1 = versions.getByRole('row', { name: /1\.0\.0\.0/ });
    await hasText(v1, /Rejected/);
    await visible(v1.getByText(`Rejected: ${REASON}`));
    await v1.getByRole('button', { name: 'Submit Again' }).click();
    const submit = await openedDialog(dev.page, 'Submit 1.0.0.0 of Coupons for review');
    await submit.getByLabel('Note (optional)').fill('The description now says why the camera is needed.');
    await submit.getByRole('button', { name: 'Submit for Review' }).click();
    await hasText(v1, /In review/);
    await versions.getByRole('button', { name: 'Close' }).last().click();
  });

  it('the operator approves the version and the association, then releases; the Wallet gets it', async () => {
    const { page } = olga;
    const review = await olgaReview('1.0.0.0');
    await review.getByRole('button', { name: 'Approve' }).click();
    const approve = await openedDialog(page, 'Approve 1.0.0.0 of Coupons');
    await approve.getByRole('button', { name: 'Approve' }).click();
    await absent(review);

    await menu(page).filter({ hasText: 'Association Requests' }).click();
    await hasText(page.getByRole('row', { name: new RegExp(appId) }), /Pending/);
    await rowAction(page, new RegExp(appId), 'Approve');
    await pressIn(page.getByRole('dialog').filter({ hasText: 'The host app is authorised' }), 'Approve');
    await page.getByLabel('State').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'Approved' }).click();
    await hasText(page.getByRole('row', { name: new RegExp(appId) }), /Approved/);

    await menu(page).filter({ hasText: 'Mini Programs' }).first().click();
    await page
      .getByRole('row', { name: /Coupons/ })
      .getByRole('button', { name: 'Versions' })
      .click();
    const versions = await openedDialog(page, /Versions · Coupons/);
    await versions
      .getByRole('row', { name: /1\.0\.0\.0/ })
      .getByRole('button', { name: 'Release' })
      .click();
    await pressIn(page.getByRole('dialog', { name: /Release 1\.0\.0\.0 · Coupons/ }), 'Release');
    await pressIn(page.getByRole('dialog').filter({ hasText: 'Release 1.0.0.0?' }), 'Release');
    await hasText(versions.getByRole('row', { name: /1\.0\.0\.0/ }), /released/i);
    await versions.getByRole('button', { name: 'Close' }).last().click();
    await absent(versions);

    await eventually(async () => {
      const res = await fetch(`${e.baseUrl}/client/v1/resources`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appId, workspaceId: 'retail', platform: 'ios', clientVersion: '10.0.0', miniPrograms: {} }),
      });
      return ((await res.json()).resources as { miniProgramId: string; version: string }[]).map((r) => `${r.miniProgramId}@${r.version}`);
    }).toEqual([`${miniProgramId}@1.0.0.0`]);

    // The developer sees the release.
    await menu(dev.page).filter({ hasText: 'My Mini Programs' }).click();
    await dev.page.reload();
    await hasText(dev.page.getByRole('row', { name: /Coupons/ }), /1\.0\.0\.0/);
  });

  it('the review of the next version shows what changed since the release: files, size, permissions and domains', async () => {
    const devApi = await Client.signIn(e.server.app, 'dev', users.dev);
    const zip = await miniProgramZip('pages/coupons/list', {
      'app.json': JSON.stringify({
        pages: ['pages/coupons/list', 'pages/coupons/scan'],
        permissions: ['camera'],
        domains: ['api.coupons.example'],
      }),
      'pages/coupons/scan.js': 'Page({ onScan() {} });',
    });
    expect(
      (await devApi.post(`/api/v1/mini-programs/${miniProgramId}/packages`, packageForm({ version: '1.1.0.0' }, zip))).statusCode,
    ).toBe(201);
    const submitted = await devApi.post(`/api/v1/mini-programs/${miniProgramId}/packages/1.1.0.0/submit`, {
      note: 'Scan coupons at the till.',
    });
    expect(submitted.statusCode).toBe(200);

    const review = await olgaReview('1.1.0.0');
    await visible(review.getByText('Change since 1.0.0.0'));
    await visible(review.getByText('pages/coupons/scan.js'));
    await visible(review.getByText('camera'));
    await visible(review.getByText('api.coupons.example'));
    await settled(olga.page);
    await shot(olga.page, 'review-queue.png');
    await review.getByRole('button', { name: 'Close' }).last().click();
    await absent(review);
  });

  it('at 1024 px wide the Operation column stays in view, for the operator and for the developer', async () => {
    const inView = async (page: Page, table: string) => {
      await page.setViewportSize({ width: 1024, height: 768 });
      const header = page.getByRole('table', { name: table }).getByRole('columnheader', { name: 'Operation' });
      await visible(header);
      await eventually(async () => {
        const box = await header.boundingBox();
        return Boolean(box && box.x + box.width <= 1024);
      }).toBe(true);
    };
    await inView(olga.page, 'Review Queue');
    await menu(olga.page).filter({ hasText: 'Association Requests' }).click();
    await inView(olga.page, 'Association Requests');
    await menu(dev.page).filter({ hasText: 'My Mini Programs' }).click();
    await inView(dev.page, 'My Mini Programs');
  });
});
