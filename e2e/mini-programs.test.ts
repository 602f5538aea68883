import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm } from '../packages/server/test/helpers/app.js';
import { miniProgramZip } from '../packages/server/test/helpers/packages.js';
import { absent, browserAvailable, eventually, hasText, rowAction, shot, signIn, startE2E, visible, type E2E, pressIn } from './helpers.js';

describe.runIf(browserAvailable)('Mini programs in the console, through to the client API', () => {
  let e: E2E;
  let api: Client;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-e2e-mp-'));
  const zipFile = path.join(tmp, 'coupons.zip');
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  let appId: string;

  beforeAll(async () => {
    fs.writeFileSync(zipFile, await miniProgramZip('pages/coupons/list'));
    e = await startE2E();
    api = await Client.signIn(e.server.app);
    appId = (await api.post('/api/v1/host-apps', { name: 'Wallet', workspaceId: 'default' })).json().appId;
    await api.put(`/api/v1/host-apps/default/${appId}/dev-config`, devConfigForm('wallet.example.com', pem));
    await signIn(e.page);
  });
  afterAll(async () => {
    await e?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  let miniProgramId: string;

  it('registers a mini program, uploads a package with progress and releases it', async () => {
    const { page } = e;
    await page.getByRole('menuitem', { name: 'Mini Programs' }).click();
    // Once the empty list has loaded, its empty state offers the same button as the header: either opens the dialog.
    await page.getByRole('button', { name: 'Register mini program' }).first().click();
    const reg = page.getByRole('dialog', { name: 'Register mini program' });
    await reg.getByLabel('Mini program name').fill('Coupons');
    await reg.getByRole('button', { name: 'Confirm' }).click();
    await visible(page.getByText(/Registered Coupons \(\d{16}\)/));
    const row = page.getByRole('row', { name: /Coupons/ });
    miniProgramId = ((await row.locator('code').textContent()) ?? '').trim();
    expect(miniProgramId).toMatch(/^\d{16}$/);

    await row.getByRole('button', { name: 'Upload package' }).click();
    const up = page.getByRole('dialog', { name: /Upload package/i });
    await up.getByLabel('Version', { exact: true }).fill('1.0.0');
    await up.locator('input[type=file]').setInputFiles(zipFile);
    await up.getByRole('button', { name: 'Confirm' }).click();
    await visible(up.getByText('Use four numbers, like 1.0.0.1.'));
    await up.getByLabel('Version', { exact: true }).fill('1.0.0.1');
    await up.getByRole('button', { name: 'Confirm' }).click();
    const versions = page.getByRole('dialog', { name: /Versions/ });
    await visible(versions.getByRole('row', { name: /1\.0\.0\.1/ }));
    await hasText(versions.getByRole('row', { name: /1\.0\.0\.1/ }), /uploaded.*\/index\.html#pages\/coupons\/list/i);
    await versions
      .getByRole('row', { name: /1\.0\.0\.1/ })
      .getByRole('button', { name: 'Release' })
      .click();
    // Release asks for confirmation, saying who gets what.
    const release = page.getByRole('dialog', { name: /Release 1\.0\.0\.1 · Coupons/ });
    await release.getByRole('button', { name: 'Release' }).click();
    const confirm = page.getByRole('dialog').filter({ hasText: 'Release 1.0.0.1?' });
    await visible(confirm.getByText('Every device of every authorised host app gets 1.0.0.1 on its next request.'));
    await pressIn(confirm, 'Release');
    await hasText(versions.getByRole('row', { name: /1\.0\.0\.1/ }), /released/i);
    // The released version cannot be released again.
    await eventually(() =>
      versions
        .getByRole('row', { name: /1\.0\.0\.1/ })
        .getByRole('button', { name: 'Release' })
        .isDisabled(),
    ).toBe(true);
    await shot(page, 'mini-program-versions.png');
    await versions.getByRole('button', { name: 'Close' }).first().click();
    await hasText(page.getByRole('row', { name: /Coupons/ }), /1\.0\.0\.1/);
  });

  it('authorises it for a host app from the Host App page; the host app then gets a package it can verify', async () => {
    const { page } = e;
    await page.getByRole('menuitem', { name: 'Host App' }).click();
    await rowAction(page, /Wallet/, 'Mini Programs');
    const dialog = page.getByRole('dialog', { name: /Mini programs · Wallet/i });
    await dialog.getByLabel('Mini program to authorise').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'Coupons' }).click();
    await dialog.getByRole('button', { name: 'Authorise' }).click();
    await visible(dialog.getByRole('row', { name: /Coupons/ }));

    const res = await fetch(`${e.baseUrl}/client/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        appId,
        workspaceId: 'default',
        platform: 'ios',
        clientVersion: '10.0.0',
        miniPrograms: { [miniProgramId]: '*' },
      }),
    });
    const [r] = (await res.json()).resources;
    const bytes = Buffer.from(await (await fetch(`${e.baseUrl}${new URL(r.packageUrl).pathname}`)).arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(r.sha256);
    const publicKey = await (
      await fetch(`${e.baseUrl}/api/v1/host-apps/default/${appId}/dev-config/public-key`, { headers: { cookie: api.cookie! } })
    ).text();
    expect(verify('sha256', bytes, publicKey, Buffer.from(r.signature, 'base64'))).toBe(true);

    await dialog
      .getByRole('row', { name: /Coupons/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    // Revoke asks for confirmation too.
    const revoke = page.getByRole('dialog').filter({ hasText: 'Revoke Coupons from Wallet?' });
    await pressIn(revoke, 'Revoke');
    await absent(dialog.getByRole('row', { name: /Coupons/ }));
    const after = await fetch(`${e.baseUrl}/client/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId, workspaceId: 'default', platform: 'ios', clientVersion: '10.0.0', miniPrograms: {} }),
    });
    expect((await after.json()).resources).toEqual([]);
  });
});
