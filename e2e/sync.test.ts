import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../packages/server/test/helpers/app.js';
import { startFakeMpaas, type FakeMpaas } from '../packages/server/test/helpers/fake-mpaas.js';
import { absent, browserAvailable, hasText, shot, signIn, startE2E, visible, type E2E } from './helpers.js';

describe.runIf(browserAvailable)('Sync mPaaS Backend Apps with One Click, in Chromium', () => {
  let e: E2E;
  let fake: FakeMpaas;
  let api: Client;
  beforeAll(async () => {
    fake = await startFakeMpaas('LTAI5tE2E', 'e2e-secret-value');
    e = await startE2E({
      MPAAS_ENDPOINT: fake.endpoint,
      MPAAS_ACCESS_KEY_ID: 'LTAI5tE2E',
      MPAAS_ACCESS_KEY_SECRET: 'e2e-secret-value',
      MPAAS_TIMEOUT_MS: '2000',
    });
    api = await Client.signIn(e.server.app);
    await signIn(e.page);
  });
  afterAll(async () => {
    await e?.close();
    await fake?.close();
  });

  const pick = async (label: string, option: string) => {
    const { page } = e;
    await page.getByRole('dialog').getByLabel(label).click();
    await page.getByRole('dialog').getByLabel(label).fill(option.slice(0, 6));
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: option }).first().click();
  };

  it('syncs an app in two picks and a Confirm; the row shows it as from mPaaS', async () => {
    const { page } = e;
    await page.getByRole('button', { name: 'Sync mPaaS Backend Apps with One Click' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Sync mPaaS Backend Apps with One Click' });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await visible(dialog.getByText('Select an mPaaS App.'));
    await pick('mPaaS App', 'Retail Super App');
    await pick('Workspace', 'Production');
    await shot(page, 'sync-dialog.png');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await visible(page.getByText('The app "Retail Super App" has been synced from mPaaS.'));
    const row = page.getByRole('row', { name: /Retail Super App/ });
    await hasText(row, /ALIPUB059F038311550.*prod.*TENANTAB.*mPaaS/);
    expect((await api.get('/api/v1/host-apps/prod/ALIPUB059F038311550')).json().source).toBe('mpaas');
  });

  it('shows pairs that are already synced as such', async () => {
    const { page } = e;
    await page.getByRole('button', { name: 'Sync mPaaS Backend Apps with One Click' }).first().click();
    await pick('mPaaS App', 'Retail Super App');
    await page.getByRole('dialog').getByLabel('Workspace').click();
    const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'Production' });
    await hasText(option, /already synced/);
    expect(await option.getAttribute('aria-disabled')).toBe('true');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await absent(page.getByRole('dialog'));
  });

  it("shows the backend's failure in the dialog and creates nothing", async () => {
    const { page } = e;
    fake.mode = 'error';
    await page.getByRole('button', { name: 'Sync mPaaS Backend Apps with One Click' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Sync mPaaS Backend Apps with One Click' });
    await hasText(dialog.getByRole('alert'), /under maintenance/);
    fake.mode = 'ok';
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await api.get('/api/v1/host-apps?query=Travel')).json().total).toBe(0);
  });
});
