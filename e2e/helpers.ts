import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN, startApp, type TestApp } from '../packages/server/test/helpers/app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Screenshots go to an ignored folder; MPOP_UPDATE_SCREENSHOTS=1 writes the README's copies in docs/screenshots. */
export const screenshotsDir =
  process.env.MPOP_UPDATE_SCREENSHOTS === '1' ? path.join(root, 'docs/screenshots') : path.join(root, '.e2e-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * How long a wait on the page's state may take (MPOP_E2E_TIMEOUT_MS, default 30 s). Waits end as soon as the state
 * is there, so an idle machine is as fast as ever; a busy 2-core one can take seconds per server round trip.
 */
export const STATE_TIMEOUT_MS = Number(process.env.MPOP_E2E_TIMEOUT_MS) || 30_000;

/** Whether the browser suites run: Chromium must exist; with MPOP_REQUIRE_BROWSER=1 its absence is an error. */
export const browserAvailable = (() => {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.MPOP_REQUIRE_BROWSER === '1')
    throw new Error(`MPOP_REQUIRE_BROWSER=1 but no Chromium at ${CHROMIUM} (apt-get install -y chromium).`);
  console.warn(
    `\n!!! No Chromium at ${CHROMIUM}: the browser end-to-end suites are SKIPPED.\n!!! Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).\n`,
  );
  return false;
})();

export interface E2E {
  server: TestApp;
  baseUrl: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}

/**
 * The real server on a fresh data dir, serving the built console, and a headless Chromium pointed at it.
 * `port` (from `freePort`) when the server must know its own address in advance (MPOP_PUBLIC_URL, for SSO).
 */
export async function startE2E(env: Record<string, string> = {}, options: { port?: number } = {}): Promise<E2E> {
  const consoleDir = path.join(root, 'packages/console/dist');
  if (!fs.existsSync(path.join(consoleDir, 'index.html'))) throw new Error('The console is not built: run npm run build first.');
  const server = await startApp('sqlite', { MPOP_CONSOLE_DIR: consoleDir, LOG_LEVEL: 'warn', ...env });
  await server.app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const { port } = server.app.server.address() as { port: number };
  const baseUrl = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({
    baseURL: baseUrl,
    locale: 'en-US',
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  const page = await context.newPage();
  page.setDefaultTimeout(STATE_TIMEOUT_MS);
  return {
    server,
    baseUrl,
    browser,
    context,
    page,
    close: async () => {
      await browser.close();
      await server.destroy();
    },
  };
}

/** A port that was free a moment ago (the system's choice for port 0), for a server that must know its URL first. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export async function signIn(page: Page, username = ADMIN.username, password = ADMIN.password) {
  await page.goto('/host-apps');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Add App' }).first().waitFor();
}

/** Opens an action of a list row: an inline link, or an item of the row's "More" menu. */
export async function rowAction(page: Page, row: RegExp, action: string) {
  const r = page.getByRole('row', { name: row });
  const inline = r.getByRole('button', { name: action, exact: true });
  const item = page.getByRole('menuitem', { name: action, exact: true });
  // The row may still be the previous page's (a menu click has not replaced the page yet: its row has other actions),
  // or the list may render again while the menu is open (its menu closes with the row it belonged to): look again,
  // and open the menu again, until the action shows, for up to 30 s in all.
  const until = Date.now() + 30_000;
  for (;;) {
    if (await inline.count()) return inline.click();
    await r.getByRole('button', { name: 'More' }).click();
    const shown = await item
      .waitFor({ state: 'visible', timeout: 3_000 })
      .then(() => true)
      .catch(() => false);
    if (shown) return item.click();
    if (Date.now() > until) throw new Error(`The row ${row} never offered "${action}", inline or in its "More" menu.`);
    await page.keyboard.press('Escape');
  }
}

/** Signs out from the user menu. */
export async function signOut(page: Page) {
  await page.getByRole('button', { name: /^Account / }).click();
  await page.getByRole('menuitem', { name: 'Sign Out' }).click();
}

export const shot = (page: Page, name: string) => {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  return page.screenshot({ path: path.join(screenshotsDir, name), fullPage: false });
};

import { expect } from 'vitest';
import type { Locator } from 'playwright-core';

/** Web-first assertions on top of vitest (playwright-core has no `expect`): each waits until true or times out. */
export const visible = (l: Locator) => l.first().waitFor({ state: 'visible', timeout: STATE_TIMEOUT_MS });
export const absent = (l: Locator) => expect.poll(() => l.count(), { timeout: STATE_TIMEOUT_MS }).toBe(0);
export const hasText = (l: Locator, text: string | RegExp) =>
  expect.poll(async () => (await l.first().textContent()) ?? '', { timeout: STATE_TIMEOUT_MS }).toMatch(text);
export const hasValue = (l: Locator, value: RegExp) =>
  expect.poll(() => l.first().inputValue(), { timeout: STATE_TIMEOUT_MS }).toMatch(value);
/** Polls until `read` gives the expected value (vitest's own default gives up after 1 s). */
export const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: STATE_TIMEOUT_MS });
/**
 * Waits until a dialog has finished opening, before a click in it. antd opens one in steps: a few frames at full size
 * but transparent, then a zoom in from a fifth of its size. A button holds still in the first step, so Playwright
 * finds it stable there and presses it; Playwright checks only the press against the button, and on a busy machine
 * the release can come after the zoom began, when the button has shrunk away from the pointer: the browser sends the
 * click to the dialog's wrapper, not the button, and Playwright reports it done. The confirmation never takes.
 */
export const opened = (dialog: Locator) =>
  eventually(() =>
    // The one shown: a dialog closed earlier may still be in the page, hidden.
    dialog
      .filter({ visible: true })
      .first()
      .evaluate((d) => d.getAnimations().length === 0 && getComputedStyle(d).opacity === '1'),
  ).toBe(true);
/** The dialog of this name that has just opened, once it has finished opening (see `opened`), to click in. */
export async function openedDialog(page: Page, name: string | RegExp): Promise<Locator> {
  const dialog = page.getByRole('dialog', { name });
  await opened(dialog);
  return dialog;
}
/** Clicks the button `name` of a dialog that has just opened, once it has finished opening (see `opened`). */
export const pressIn = async (dialog: Locator, name: string) => {
  await opened(dialog);
  await dialog.getByRole('button', { name }).click();
};
/** Waits until no CSS animation or transition runs (a fade-in), so a screenshot shows what a person sees. */
export const settled = (page: Page) =>
  page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), undefined, { timeout: STATE_TIMEOUT_MS });
