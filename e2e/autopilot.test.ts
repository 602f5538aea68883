import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm } from '../packages/server/test/helpers/app.js';
import { miniProgramZip, packageForm } from '../packages/server/test/helpers/packages.js';
import { browserAvailable, hasText, shot, signIn, startE2E, visible, type E2E, pressIn } from './helpers.js';

describe.runIf(browserAvailable)('A release steered by the autopilot, from the Release dialog to its decisions', () => {
  let e: E2E;
  let api: Client;
  let appId: string;
  let id: string;

  beforeAll(async () => {
    e = await startE2E({ MPOP_RATE_LIMIT_PER_DEVICE: '0', MPOP_RATE_LIMIT_PER_ADDRESS: '0', MPOP_EVENTS_DEVICES_PER_ADDRESS: '0' });
    api = await Client.signIn(e.server.app);
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    appId = (await api.post('/api/v1/host-apps', { name: 'Pilot', workspaceId: 'default' })).json().appId;
    await api.put(`/api/v1/host-apps/default/${appId}/dev-config`, devConfigForm('pilot.example.com', pem));
    id = (await api.post('/api/v1/mini-programs', { name: 'Tickets' })).json().miniProgramId;
    for (const version of ['1.0.0.0', '2.0.0.0'])
      await api.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, await miniProgramZip(`pages/v${version}/index`)));
    await api.put(`/api/v1/host-apps/default/${appId}/mini-programs/${id}`);
    expect((await api.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).statusCode).toBe(200);
    await signIn(e.page);
  });
  afterAll(() => e?.close());

  const versionOf = async (deviceId: string) => {
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
    return (await res.json()).resources[0]?.version as string | undefined;
  };
  const report = async (deviceId: string, type: 'launch' | 'failure') => {
    const res = await fetch(`${e.baseUrl}/client/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId, workspaceId: 'default', deviceId, events: [{ type, miniProgramId: id, version: '2.0.0.0' }] }),
    });
    expect(res.status).toBe(202);
  };

  it('releases with the autopilot after saying what it will do, then shows it advance to 100 % as devices launch', async () => {
    const { page } = e;
    await page.getByRole('menuitem', { name: 'Mini Programs' }).click();
    await page
      .getByRole('row', { name: /Tickets/ })
      .getByRole('button', { name: 'Versions' })
      .click();
    const versions = page.getByRole('dialog', { name: /Versions · Tickets/ });
    await versions
      .getByRole('row', { name: /2\.0\.0\.0/ })
      .getByRole('button', { name: 'Release' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Release 2.0.0.0 · Tickets' });
    await dialog.getByText('Autopilot: step by step while devices launch it').click();
    // The defaults, in one sentence, before anything is changed.
    await hasText(
      dialog.getByTestId('autopilot-plan'),
      /It starts at 1 % and moves to 10, 50, 100 % once each step has lasted 30 minutes and 100 devices launched it/,
    );
    await dialog.getByLabel('Steps (%)').fill('25, 100');
    await dialog.getByLabel('Each step lasts at least (minutes)').fill('0');
    await dialog.getByLabel('Devices that must launch it per step').fill('2');
    await hasText(
      dialog.getByTestId('autopilot-plan'),
      /It starts at 25 % and moves to 100 % once each step has lasted 0 minutes and 2 devices launched it; if more than 2 % .* pauses at once/,
    );
    await shot(page, 'release-dialog-autopilot.png');
    await dialog.getByRole('button', { name: 'Release' }).click();
    const confirm = page.getByRole('dialog').filter({ hasText: 'Release 2.0.0.0?' });
    await visible(confirm.getByText('25 % of the devices of every authorised host app get 2.0.0.0 now.'));
    await visible(confirm.getByText(/^The autopilot moves it on: It starts at 25 %/));
    await pressIn(confirm, 'Release');
    await visible(page.getByText('Released 2.0.0.0.'));
    await versions.getByRole('button', { name: 'Close' }).first().click();

    await page
      .getByRole('row', { name: /Tickets/ })
      .getByRole('button', { name: 'Releases' })
      .click();
    const view = page.getByRole('dialog', { name: 'Releases · Tickets' });
    const status = view.getByTestId('autopilot-status');
    await hasText(status, /Step 1 of 2 \(25 %\)/);
    await hasText(status, /0 of 2 devices launched it/);
    await hasText(status, /No decision yet/);

    // Two devices the gate gives 2.0.0.0 launch it; a device it does not give it to claims so too (not counted).
    const served: string[] = [];
    let unserved: string | undefined;
    for (let i = 0; served.length < 2 || !unserved; i++) {
      const d = `ticket-phone-${i}`;
      if ((await versionOf(d)) === '2.0.0.0') served.push(d);
      else unserved ??= d;
    }
    await report(unserved, 'launch');
    for (const d of served.slice(0, 2)) await report(d, 'launch');

    // The autopilot looks every few seconds, the view reads the release every five.
    await hasText(status, /Completed/);
    await hasText(view.locator('.ant-card').filter({ hasText: 'Current release' }), /Complete/);
    await hasText(status, /2 devices launched 2\.0\.0\.0 at 25 %/);
    await shot(page, 'releases-view-autopilot.png');
    expect(await versionOf(unserved)).toBe('2.0.0.0');
  });
});
