import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Client } from '../packages/server/test/helpers/app.js';
import { miniProgramZip, packageForm } from '../packages/server/test/helpers/packages.js';
import { browserAvailable, signIn, startE2E, visible, type E2E } from './helpers.js';

/** The longest names the platform stores (64 characters), unbroken; a release note of 120. */
const HOST_NAME = `H${'W'.repeat(63)}`;
const MP_NAME = `M${'W'.repeat(63)}`;
const NOTE = 'N'.repeat(120);
const WIDTH = 1024;

/** Every button of the locator is inside the viewport's width, so it can be seen and clicked without scrolling. */
async function insideViewport(buttons: ReturnType<Page['locator']>) {
  const n = await buttons.count();
  expect(n).toBeGreaterThan(0);
  for (let i = 0; i < n; i++) {
    const box = await buttons.nth(i).boundingBox();
    expect(box, `button ${i}`).not.toBeNull();
    expect(box!.x, `button ${i} starts inside`).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, `button ${i} ends inside the ${WIDTH} px viewport`).toBeLessThanOrEqual(WIDTH);
  }
}

describe.runIf(browserAvailable)(`tables at ${WIDTH} px with the longest unbroken names`, () => {
  let e: E2E;
  let api: Client;

  beforeAll(async () => {
    e = await startE2E();
    api = await Client.signIn(e.server.app);
    await api.post('/api/v1/host-apps', { name: HOST_NAME, workspaceId: 'default' });
    const id = (await api.post('/api/v1/mini-programs', { name: MP_NAME })).json().miniProgramId;
    await api.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.1' }, await miniProgramZip()));
    await api.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/release`, { note: NOTE });
    await e.page.setViewportSize({ width: WIDTH, height: 768 });
    await signIn(e.page);
  });
  afterAll(() => e?.close());

  it.each(['en', 'zh'])('keeps the Operation column in view and clickable (%s)', async (lang) => {
    const { page } = e;
    await page.evaluate((l) => localStorage.setItem('mpop.lang', l), lang);

    await page.goto('/host-apps');
    const hostRow = page.getByRole('row', { name: new RegExp(HOST_NAME) });
    await visible(hostRow);
    const hostOps = hostRow.locator('td').last().getByRole('button');
    await insideViewport(hostOps);
    await hostOps.first().click();
    await visible(page.getByRole('dialog'));
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);

    await page.goto('/mini-programs');
    const mpRow = page.getByRole('row', { name: new RegExp(MP_NAME) });
    await visible(mpRow);
    const mpOps = mpRow.locator('td').last().getByRole('button');
    await insideViewport(mpOps);
    await mpOps.last().click(); // Releases
    const releases = page.getByRole('dialog');
    await visible(releases);
    // The history shows "Created at" whole, inside the viewport, whatever the length of the note.
    const historyRow = releases.getByRole('row', { name: /1\.0\.0\.1/ }).last();
    await visible(historyRow);
    const cells = historyRow.locator('td');
    const created = cells.nth((await cells.count()) - 2); // Created at, before the Operation column
    const box = await created.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(WIDTH);
    expect(await created.evaluate((td) => td.scrollWidth <= td.clientWidth)).toBe(true);
    await page.keyboard.press('Escape');
  });
});
