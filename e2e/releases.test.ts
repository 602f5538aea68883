import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm } from '../packages/server/test/helpers/app.js';
import { miniProgramZip, packageForm } from '../packages/server/test/helpers/packages.js';
import { browserAvailable, eventually, hasText, shot, signIn, startE2E, visible, type E2E, pressIn, absent, opened } from './helpers.js';

/** What one device of a host app gets from the client API: the version and the mandatory flag, or null. */
type Answer = { version: string; mandatory: boolean } | null;

describe.runIf(browserAvailable)('Controlled releases in the console, checked through the client API', () => {
  let e: E2E;
  let api: Client;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-e2e-rel-'));
  const whitelistFile = path.join(tmp, 'testers.txt');
  const hosts: string[] = [];
  let id: string;
  const devices = Array.from({ length: 400 }, (_, i) => `phone-${i}`);

  beforeAll(async () => {
    fs.writeFileSync(whitelistFile, 'tester-2\ntester-3\n');
    e = await startE2E({ MPOP_RATE_LIMIT_PER_DEVICE: '0', MPOP_RATE_LIMIT_PER_ADDRESS: '0' });
    api = await Client.signIn(e.server.app);
    for (const name of ['Retail', 'Wallet']) {
      const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const appId = (await api.post('/api/v1/host-apps', { name, workspaceId: 'default' })).json().appId;
      await api.put(`/api/v1/host-apps/default/${appId}/dev-config`, devConfigForm(`${name.toLowerCase()}.example.com`, pem));
      hosts.push(appId);
    }
    id = (await api.post('/api/v1/mini-programs', { name: 'Coupons' })).json().miniProgramId;
    for (const version of ['1.0.0.0', '2.0.0.0'])
      await api.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, await miniProgramZip(`pages/v${version}/index`)));
    for (const appId of hosts) await api.put(`/api/v1/host-apps/default/${appId}/mini-programs/${id}`);
    expect((await api.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).statusCode).toBe(200);
    await signIn(e.page);
  });
  afterAll(async () => {
    await e?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const ask = async (appId: string, deviceId?: string): Promise<Answer> => {
    const res = await fetch(`${e.baseUrl}/client/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        appId,
        workspaceId: 'default',
        platform: 'android',
        clientVersion: '10.0',
        deviceId,
        miniPrograms: { [id]: '*' },
      }),
    });
    expect(res.status).toBe(200);
    const [r] = (await res.json()).resources;
    return r ? { version: r.version, mandatory: r.mandatory } : null;
  };
  /** The devices of a host app that get 2.0.0.0; every other one must get 1.0.0.0. */
  const onNew = async (appId: string) => {
    const got = new Set<string>();
    for (const d of devices) {
      const a = await ask(appId, d);
      if (a?.version === '2.0.0.0') got.add(d);
      else expect(a?.version).toBe('1.0.0.0');
    }
    return got;
  };
  let atTen: Set<string>;

  it('releases 2.0.0.0 to 10 % of devices with a pasted and an uploaded whitelist, after a confirmation that says who gets what', async () => {
    const { page } = e;
    await page.getByRole('menuitem', { name: 'Mini Programs' }).click();
    await page
      .getByRole('row', { name: /Coupons/ })
      .getByRole('button', { name: 'Versions' })
      .click();
    const versions = page.getByRole('dialog', { name: /Versions · Coupons/ });
    await versions
      .getByRole('row', { name: /2\.0\.0\.0/ })
      .getByRole('button', { name: 'Release' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Release 2.0.0.0 · Coupons' });
    await dialog.getByText('Gray release, step by step').click();
    await dialog.getByLabel('Share of devices (%) (number)').fill('10');
    await dialog.getByLabel('Device whitelist').fill('tester-1');
    await dialog.locator('input[type=file]').setInputFiles(whitelistFile);
    await visible(dialog.getByText('testers.txt: 2 device IDs'));
    await visible(dialog.getByText('Whitelist: 3 device IDs'));
    await dialog.getByRole('switch', { name: 'Mandatory update' }).click();
    await dialog.getByLabel('Note').fill('Spring coupons');
    await shot(page, 'release-dialog.png');
    await dialog.getByRole('button', { name: 'Release' }).click();

    const confirm = page.getByRole('dialog').filter({ hasText: 'Release 2.0.0.0?' });
    await visible(confirm.getByText('10 % of the devices of every authorised host app get 2.0.0.0 now.'));
    await visible(confirm.getByText(/^3 whitelisted devices get it whatever the share/));
    await visible(confirm.getByText('Every other device keeps 1.0.0.0.'));
    await visible(confirm.getByText('Clients must update before opening it.'));
    await pressIn(confirm, 'Release');
    await visible(page.getByText('Released 2.0.0.0.'));

    for (const appId of hosts) {
      for (const tester of ['tester-1', 'tester-2', 'tester-3'])
        expect(await ask(appId, tester)).toEqual({ version: '2.0.0.0', mandatory: true });
      expect(await ask(appId)).toEqual({ version: '1.0.0.0', mandatory: false });
    }
    atTen = await onNew(hosts[0]);
    expect(atTen.size).toBeGreaterThan(devices.length * 0.04);
    expect(atTen.size).toBeLessThan(devices.length * 0.18);
    await versions.getByRole('button', { name: 'Close' }).first().click();
  });

  it('shows the rollout at 10 % in the Releases view and raises it to 50 %; no device moves back', async () => {
    const { page } = e;
    await page
      .getByRole('row', { name: /Coupons/ })
      .getByRole('button', { name: 'Releases' })
      .click();
    const view = page.getByRole('dialog', { name: 'Releases · Coupons' });
    const current = view.locator('.ant-card').filter({ hasText: 'Current release' });
    await hasText(current, /Rolling out/);
    await hasText(current.locator('.ant-progress'), /10 %/);
    await visible(current.getByText('Spring coupons'));
    await visible(current.getByText(/Signed for 2 of 2 host apps/));
    await shot(page, 'releases-view.png');

    await current.getByRole('button', { name: 'Raise' }).click();
    const raise = page.getByRole('dialog', { name: 'Raise the rollout of 2.0.0.0' });
    await raise.getByLabel('Share').fill('50');
    await visible(raise.getByText('50 % of the devices will get 2.0.0.0. Devices that have it keep it.'));
    await raise.getByRole('button', { name: 'Confirm' }).click();
    await visible(page.getByText('Raised to 50 %.'));
    await hasText(current.locator('.ant-progress'), /50 %/);

    const atFifty = await onNew(hosts[0]);
    expect(atFifty.size).toBeGreaterThan(devices.length * 0.38);
    expect(atFifty.size).toBeLessThan(devices.length * 0.62);
    for (const d of atTen) expect(atFifty.has(d)).toBe(true);
  });

  it('rolls back to 1.0.0.0 for every device of every host app after a confirmation', async () => {
    const { page } = e;
    const view = page.getByRole('dialog', { name: 'Releases · Coupons' });
    const current = view.locator('.ant-card').filter({ hasText: 'Current release' });
    await current.getByRole('button', { name: 'Roll back' }).click();
    const confirm = page.getByRole('dialog').filter({ hasText: 'Roll back to 1.0.0.0?' });
    await visible(confirm.getByText(/Every device of the host apps of this release gets 1\.0\.0\.0 on its next request/));
    await pressIn(confirm, 'Confirm');
    await visible(page.getByText('Rolled back to 1.0.0.0.'));
    await hasText(current, /1\.0\.0\.0/);
    await hasText(current, /Complete/);
    await visible(view.getByRole('row', { name: /2\.0\.0\.0.*Rolled back/ }));
    for (const appId of hosts) {
      expect(await ask(appId, 'tester-1')).toEqual({ version: '1.0.0.0', mandatory: false });
      expect(await ask(appId)).toEqual({ version: '1.0.0.0', mandatory: false });
    }
    expect((await onNew(hosts[1])).size).toBe(0);
  });

  it('takes the mini program down for every host app after a confirmation', async () => {
    const { page } = e;
    const view = page.getByRole('dialog', { name: 'Releases · Coupons' });
    const current = view.locator('.ant-card').filter({ hasText: 'Current release' });
    await current.getByRole('button', { name: 'Take down' }).click();
    const confirm = page.getByRole('dialog').filter({ hasText: 'Take Coupons down?' });
    await pressIn(confirm, 'Cancel');
    await absent(confirm);
    expect(await ask(hosts[0], 'tester-1')).toEqual({ version: '1.0.0.0', mandatory: false });
    await current.getByRole('button', { name: 'Take down' }).click();
    await pressIn(confirm, 'Confirm');
    await visible(page.getByText('Coupons was taken down.'));
    await hasText(current, /Taken down/);
    for (const appId of hosts) {
      expect(await ask(appId, 'tester-1')).toBeNull();
      expect(await ask(appId)).toBeNull();
    }
  });

  it('offers the steps of a gray release on a calendar with Chinese month and weekday names in 简体中文', async () => {
    const { page } = e;
    await api.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '3.0.0.0' }, await miniProgramZip('pages/v3/index')));
    await page.evaluate(() => localStorage.setItem('mpop.lang', 'zh'));
    await page.goto('/mini-programs');
    await page
      .getByRole('row', { name: /Coupons/ })
      .getByRole('button', { name: '版本' })
      .click();
    const versions = page.getByRole('dialog', { name: /版本 · Coupons/ });
    // Clicks in a dialog that has just opened wait for it to open (see `opened`): under load this test once waited in
    // vain for the calendar that its clicks here open.
    await opened(versions);
    await versions
      .getByRole('row', { name: /3\.0\.0\.0/ })
      .getByRole('button', { name: '发布' })
      .click();
    const dialog = page.getByRole('dialog', { name: '发布 3.0.0.0 · Coupons' });
    await opened(dialog);
    await dialog.getByText('灰度发布，逐步放量').click();
    await dialog.getByRole('button', { name: '添加一步' }).click();
    await dialog.getByLabel('时间 1').click();
    const calendar = page.locator('.ant-picker-dropdown:visible');
    await visible(calendar);
    await hasText(calendar.locator('.ant-picker-month-btn'), /^\d{1,2}月$/);
    await eventually(() => calendar.locator('.ant-picker-content thead th').allTextContents()).toEqual([
      '一',
      '二',
      '三',
      '四',
      '五',
      '六',
      '日',
    ]);
    await hasText(calendar, /此刻|确定/);
    await shot(page, 'release-step-calendar-zh.png');
    await page.keyboard.press('Escape');
    await page.evaluate(() => localStorage.setItem('mpop.lang', 'en'));
  });
});
