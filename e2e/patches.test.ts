import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePair } from '../bench/mini-program-packages.mjs';
import { MpopClient } from '../packages/client/src/index.js';
import { Client, devConfigForm } from '../packages/server/test/helpers/app.js';
import { rsaKey } from '../packages/server/test/helpers/keys.js';
import { packageForm } from '../packages/server/test/helpers/packages.js';
import { browserAvailable, freePort, hasText, shot, signIn, startE2E, visible, type E2E } from './helpers.js';

describe.runIf(browserAvailable)('Patches: a device downloads a patch, the console shows the job and the bytes saved', () => {
  let e: E2E;
  let api: Client;
  let id: string;

  beforeAll(async () => {
    const port = await freePort();
    // Patch and package URLs must reach this server: its public URL is its own address.
    e = await startE2E({ MPOP_PUBLIC_URL: `http://127.0.0.1:${port}`, MPOP_RATE_LIMIT_PER_DEVICE: '0' }, { port });
    api = await Client.signIn(e.server.app);
    await signIn(e.page);
  });
  afterAll(() => e?.close());

  it('rebuilds version 2 from version 1 on a device, then lists the kept patch and what it saved', async () => {
    // Changes carry this server's origin (its public URL), as the console's own requests do.
    const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
      api.request({ method, url, payload: payload as never, headers: method === 'GET' ? {} : { origin: e.baseUrl } });
    const appId = (await call('POST', '/api/v1/host-apps', { name: 'Retail', workspaceId: 'default' })).json().appId as string;
    expect(
      (await call('PUT', `/api/v1/host-apps/default/${appId}/dev-config`, devConfigForm('retail.example.com', rsaKey(2048).pkcs8)))
        .statusCode,
    ).toBe(200);
    id = (await call('POST', '/api/v1/mini-programs', { name: 'Coupons' })).json().miniProgramId;
    const { from, to } = await packagePair('one-file-changed', 41, 2_300_000); // about 2 MB
    for (const [version, zip] of [
      ['1.0.0.1', from],
      ['1.0.0.2', to],
    ] as const) {
      expect((await call('POST', `/api/v1/mini-programs/${id}/packages`, packageForm({ version }, zip))).statusCode).toBe(201);
      if (version === '1.0.0.1') await call('PUT', `/api/v1/host-apps/default/${appId}/mini-programs/${id}`);
      expect((await call('POST', `/api/v1/mini-programs/${id}/packages/${version}/release`)).statusCode).toBe(200);
    }
    await e.server.app.services.patches.idle();

    // A device on 1.0.0.1, through @mpop/client.
    const config = (await api.get(`/api/v1/host-apps/default/${appId}/config-file`)).json();
    const device = new MpopClient({
      config,
      deviceId: 'phone-1',
      platform: 'android',
      clientVersion: '10.0',
      allowHttp: true, // the test server is plain http on loopback
    });
    const [resource] = await device.resources({ [id]: '1.0.0.1' });
    expect(resource.patch?.size).toBeLessThan(to.length / 20);
    const bytes = await device.download(resource, { current: from });
    expect(Buffer.from(bytes).equals(to)).toBe(true);
    await device.close();
    const saved = to.length - resource.patch!.size;
    expect((await api.get(`/api/v1/mini-programs/${id}/adoption`)).json().patches).toEqual({ downloads: 1, bytesSaved: saved });

    const { page } = e;
    await page.goto('/signing-jobs');
    await page.getByText('Patch Jobs', { exact: true }).click();
    const row = page.getByRole('row', { name: /1\.0\.0\.1 → 1\.0\.0\.2/ });
    await visible(row);
    await hasText(row, /Kept/);
    await hasText(row, /KiB \(\d(\.\d)?% of the package\)/);
    await shot(page, 'patch-jobs.png');

    await page.goto(`/mini-programs/${id}/adoption`);
    await visible(page.getByTestId('adoption-panel'));
    const statistic = page.locator('.ant-statistic', { hasText: 'Saved by patches' });
    await hasText(statistic, /MiB/);
    await hasText(page.locator('.ant-statistic', { hasText: 'Downloads by patch' }), /1/);
  });
});
