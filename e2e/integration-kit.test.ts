import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm } from '../packages/server/test/helpers/app.js';
import { miniProgramZip, packageForm } from '../packages/server/test/helpers/packages.js';
import { browserAvailable, hasText, rowAction, shot, signIn, startE2E, visible, type E2E } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

describe.runIf(browserAvailable)('host app integration kit in Chromium', () => {
  let e: E2E;
  let api: Client;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-e2e-kit-'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const fingerprint = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  const keyFile = path.join(tmp, 'private_key.pem');
  fs.writeFileSync(keyFile, keyPem);

  beforeAll(async () => {
    // The simulator acts as 1,000 devices from one address: lift the per-minute client limit for it.
    e = await startE2E({ MPOP_RATE_LIMIT_PER_DEVICE: '0', MPOP_RATE_LIMIT_PER_ADDRESS: '0' });
    api = await Client.signIn(e.server.app);
    await signIn(e.page);
  });
  afterAll(async () => {
    await e?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const downloadFrom = async (trigger: () => Promise<void>) => {
    const download = e.page.waitForEvent('download');
    await trigger();
    const d = await download;
    return { name: d.suggestedFilename(), json: JSON.parse(fs.readFileSync((await d.path())!, 'utf8')) };
  };

  it('downloads the config file from View Basic Information', async () => {
    const app = (await api.post('/api/v1/host-apps', { name: 'Kit Retail', workspaceId: 'kit' })).json();
    await api.put(`/api/v1/host-apps/kit/${app.appId}/dev-config`, devConfigForm('mini.retail.example.com', keyPem));
    const { page } = e;
    await page.reload();
    await page
      .getByRole('row', { name: /Kit Retail/ })
      .getByRole('button', { name: 'View Basic Information' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Basic Information' });
    const file = await downloadFrom(() => dialog.getByText('Download config file').click());
    expect(file.name).toBe(`mpop-${app.appId}.json`);
    expect(file.json).toEqual({
      appId: app.appId,
      workspaceId: 'kit',
      tenantId: app.tenantId,
      name: 'Kit Retail',
      gatewayUrl: 'http://mpop.test/client/v1',
      virtualDomain: 'mini.retail.example.com',
      publicKeys: [{ fingerprintSha256: fingerprint, pem: publicKey.export({ type: 'spki', format: 'pem' }) }],
      releaseKeys: [], // no organisation of a mini program authorised for it has a release key
    });
    await dialog.getByRole('button', { name: 'Close' }).last().click();
  });

  it('offers the config file as soon as the development configuration is saved', async () => {
    const app = (await api.post('/api/v1/host-apps', { name: 'Kit Travel', workspaceId: 'kit' })).json();
    const { page } = e;
    await page.reload();
    const row = page.getByRole('row', { name: /Kit Travel/ });
    await row.getByRole('button', { name: 'View Basic Information' }).click();
    const info = page.getByRole('dialog', { name: 'Basic Information' });
    // Before the development configuration there is no config file to download.
    await visible(info.getByText('Download config file'));
    expect(await info.locator('a.ant-btn, button').filter({ hasText: 'Download config file' }).first().isDisabled()).toBe(true);
    await info.getByRole('button', { name: 'Close' }).last().click();

    await rowAction(page, /Kit Travel/, 'Make Development Configuration');
    const make = page.getByRole('dialog', { name: /Make development configuration/i });
    await make.getByLabel('Virtual Domain').fill('mini.travel.example.com');
    await make.locator('input[type=file]').setInputFiles(keyFile);
    await make.getByRole('button', { name: 'Confirm' }).click();
    const view = page.getByRole('dialog', { name: /View Development Configuration/ });
    await visible(view.getByText(fingerprint));
    const file = await downloadFrom(() => view.getByText('Download config file').click());
    expect(file.name).toBe(`mpop-${app.appId}.json`);
    expect(file.json).toMatchObject({
      appId: app.appId,
      virtualDomain: 'mini.travel.example.com',
      publicKeys: [{ fingerprintSha256: fingerprint }],
    });
    await view.getByRole('button', { name: 'Close' }).last().click();
  });

  it('shows the share of a simulated fleet of 1,000 devices moving from one version to the next', async () => {
    const app = (await api.post('/api/v1/host-apps', { name: 'Kit Fleet', workspaceId: 'kit' })).json();
    await api.put(`/api/v1/host-apps/kit/${app.appId}/dev-config`, devConfigForm('mini.fleet.example.com', keyPem));
    const id = (await api.post('/api/v1/mini-programs', { name: 'Fleet Coupons' })).json().miniProgramId;
    const release = async (version: string) => {
      const zip = await miniProgramZip('pages/index/index', { 'version.txt': version });
      expect((await api.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip))).statusCode).toBe(201);
      expect((await api.post(`/api/v1/mini-programs/${id}/packages/${version}/release`)).json().signing.state).toBe('signed');
    };
    await release('1.0.0.1');
    expect((await api.put(`/api/v1/host-apps/kit/${app.appId}/mini-programs/${id}`)).statusCode).toBe(200);
    const configFile = path.join(tmp, `mpop-${app.appId}.json`);
    fs.writeFileSync(configFile, (await api.get(`/api/v1/host-apps/kit/${app.appId}/config-file`)).body);

    // `npm run simulate` as an operator runs it: all 1,000 devices on 1.0.0.1, then 60% of them come back after 1.0.0.2.
    const simulate = async (...args: string[]) => {
      const { stdout } = await run(
        process.execPath,
        ['scripts/simulate.mjs', '--config', configFile, '--url', e.baseUrl, '--concurrency', '50', ...args],
        {
          cwd: root,
          timeout: 120_000,
        },
      );
      return JSON.parse(stdout.trim().split('\n').pop()!);
    };
    expect(await simulate('--devices', '1000')).toMatchObject({ devices: 1000, verified: 1000, launches: 1000, errors: 0 });
    await release('1.0.0.2');
    expect(await simulate('--devices', '1000', '--online', '0.6')).toMatchObject({
      devices: 600,
      verified: 600,
      errors: 0,
      versions: { '1.0.0.2': 600 },
    });

    const { page } = e;
    await page.goto('/mini-programs');
    await page
      .getByRole('row', { name: /Fleet Coupons/ })
      .getByRole('link', { name: 'Adoption' })
      .click();
    await page.waitForURL(new RegExp(`/mini-programs/${id}/adoption$`));
    const table = page.getByTestId('adoption-panel').getByRole('table');
    await hasText(table.getByRole('row', { name: /1\.0\.0\.2/ }), /1\.0\.0\.2\s*600\s*60%/);
    await hasText(table.getByRole('row', { name: /1\.0\.0\.1/ }), /1\.0\.0\.1\s*400\s*40%/);
    await visible(page.getByTestId('adoption-chart').locator('canvas'));
    await hasText(page.getByTestId('adoption-panel'), /Launches\s*1,?600/);

    // The same numbers for this host app alone.
    await page.getByRole('combobox', { name: 'Host App' }).click();
    await page.locator('.ant-select-item-option').getByText(`Kit Fleet (${app.appId})`).click();
    await page.locator('.ant-select-item-option').first().waitFor({ state: 'hidden' });
    await hasText(table.getByRole('row', { name: /1\.0\.0\.2/ }), /600\s*60%/);
    await visible(page.getByTestId('adoption-chart').locator('canvas'));
    await shot(page, 'adoption.png');
  }, 180_000);
});
