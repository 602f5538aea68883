import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, startApp, type TestApp } from '../packages/server/test/helpers/app.js';
import { rsaKey } from '../packages/server/test/helpers/keys.js';
import { miniProgramZip, packageForm } from '../packages/server/test/helpers/packages.js';
import { packagePair } from '../bench/mini-program-packages.mjs';
import { browserAvailable } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const clientDist = path.join(root, 'packages/client/dist');
const fossilDelta = createRequire(import.meta.url).resolve('fossil-delta');

// @mpop/client imports fossil-delta (patches) by its package name: a host app's bundler resolves it; this page, which
// loads dist/ as it is, maps it with an import map.
const PAGE = `<!doctype html><meta charset="utf-8"><title>host app</title>
<script type="importmap">{ "imports": { "fossil-delta": "/client-lib/fossil-delta.js" } }</script>
<script type="module">
  import { MpopClient } from '/client-lib/index.js';
  window.loadPackage = async (config, tamper) => {
    // allowHttp: the test's site is plain http on 127.0.0.1 (a real host app's package URLs are https).
    const client = new MpopClient({ config, deviceId: 'browser-device', platform: 'android', clientVersion: '10.0.0', autoReport: false, allowHttp: true });
    let resource;
    try {
      [resource] = await client.resources();
    } catch (err) {
      return { ok: false, code: err.code, message: err.message };
    }
    const stored = localStorage.getItem('mpop:' + config.workspaceId + ':' + config.appId + ':generation');
    const r = tamper === 'hash' ? { ...resource, sha256: '0'.repeat(64) } : tamper === 'version' ? { ...resource, version: '9.9.9.9' } : resource;
    try {
      const bytes = await client.download(r);
      const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
      await client.report([{ type: 'launch', miniProgramId: r.miniProgramId, version: r.version }]);
      return { ok: true, size: bytes.length, sha256: digest, announced: resource.sha256, stored };
    } catch (err) {
      return { ok: false, code: err.code, message: err.message };
    }
  };
  window.patchPackage = async (config, miniProgramId, has, currentUrl) => {
    const client = new MpopClient({ config, deviceId: 'browser-patched', platform: 'android', clientVersion: '10.0.0', autoReport: false, allowHttp: true });
    const current = new Uint8Array(await (await fetch(currentUrl)).arrayBuffer());
    const resource = (await client.resources({ [miniProgramId]: has })).find((r) => r.miniProgramId === miniProgramId);
    const bytes = await client.download(resource, { current });
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    return { patch: resource.patch ?? null, size: bytes.length, sha256: digest, announced: resource.sha256 };
  };
  window.ready = true;
</script>`;

/**
 * A host app page served by the test: it imports the browser build of @mpop/client (packages/client/dist) and
 * reaches the gate on the same origin (the test server forwards /client/v1 to mpop).
 */
describe.runIf(browserAvailable)('@mpop/client in Chromium', () => {
  let t: TestApp;
  let site: http.Server;
  let siteUrl: string;
  let upstream = '';
  let browser: Browser;
  let config: unknown;
  let zip: Buffer;
  let miniProgramId: string;
  let admin: Client;
  /** Flip one byte of the next package the test server forwards. */
  let flipNextPackage = false;
  /** Flip `mandatory` in the next gate answer the test server forwards (its manifest stays as signed). */
  let flipNextMandatory = false;
  /** The client API requests the test server forwarded (method and path). */
  const hits: string[] = [];
  let appId: string;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(clientDist, 'index.js'))) throw new Error('@mpop/client is not built: run npm run build first.');
    site = http.createServer(async (req, res) => {
      const url = req.url ?? '/';
      if (url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(PAGE);
      }
      if (url.startsWith('/client-lib/')) {
        const name = path.basename(url);
        const file = name === 'fossil-delta.js' ? fossilDelta : path.join(clientDist, name);
        if (!file.endsWith('.js') || !fs.existsSync(file)) return res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end(fs.readFileSync(file));
      }
      if (url.startsWith('/client/v1/')) {
        hits.push(`${req.method} ${url}`);
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const answer = await fetch(`${upstream}${url}`, {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        let body = Buffer.from(await answer.arrayBuffer());
        if (flipNextMandatory && url === '/client/v1/resources') {
          flipNextMandatory = false;
          const a = JSON.parse(body.toString());
          for (const r of a.resources) r.mandatory = !r.mandatory;
          body = Buffer.from(JSON.stringify(a));
        }
        if (flipNextPackage && url.startsWith('/client/v1/packages/')) {
          flipNextPackage = false;
          body[body.length >> 1] ^= 0xff;
        }
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
        return res.end(body);
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

    t = await startApp('sqlite', { MPOP_PUBLIC_URL: siteUrl, LOG_LEVEL: 'warn' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    upstream = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    admin = await Client.signIn(t.app);
    const call = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: unknown) =>
      admin.request({ method, url, payload: payload as never, headers: method === 'GET' ? {} : { origin: siteUrl } });
    const app = (await call('POST', '/api/v1/host-apps', { name: 'Web Host', workspaceId: 'web' })).json();
    appId = app.appId;
    await call('PUT', `/api/v1/host-apps/web/${app.appId}/dev-config`, devConfigForm('mini.web.example.com', rsaKey(2048).pkcs8));
    miniProgramId = (await call('POST', '/api/v1/mini-programs', { name: 'Web Coupons' })).json().miniProgramId;
    zip = await miniProgramZip('pages/index/index', { 'web.txt': 'browser' });
    await call('POST', `/api/v1/mini-programs/${miniProgramId}/packages`, packageForm({ version: '1.0.0.1' }, zip));
    await call('POST', `/api/v1/mini-programs/${miniProgramId}/packages/1.0.0.1/release`);
    await call('PUT', `/api/v1/host-apps/web/${app.appId}/mini-programs/${miniProgramId}`);
    config = (await call('GET', `/api/v1/host-apps/web/${app.appId}/config-file`)).json();

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    site?.closeAllConnections();
    await new Promise((r) => site?.close(r));
    await t?.destroy();
  });

  const inPage = async (tamper?: string) => {
    const page = await browser.newPage();
    try {
      await page.goto(siteUrl);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 10_000 });
      return await page.evaluate(
        ([c, tm]) =>
          (window as unknown as { loadPackage: (c: unknown, t?: string) => Promise<Record<string, unknown>> }).loadPackage(c, tm),
        [config, tamper] as const,
      );
    } finally {
      await page.close();
    }
  };

  it('downloads a real package and verifies its hash and both signatures with WebCrypto', async () => {
    const result = await inPage();
    expect(result).toMatchObject({ ok: true, size: zip.length });
    expect(result.sha256).toBe(result.announced);
    // The accepted manifest's generation is kept in localStorage (the browser default).
    expect(Number(result.stored)).toBeGreaterThan(0);
    const adoption = (await admin.get(`/api/v1/mini-programs/${miniProgramId}/adoption`)).json();
    expect(adoption).toMatchObject({ versions: [{ version: '1.0.0.1', devices: 1 }], events: { launch: 1 } });
  });

  it('refuses a package with a flipped byte with PACKAGE_INTEGRITY', async () => {
    flipNextPackage = true;
    expect(await inPage()).toMatchObject({ ok: false, code: 'PACKAGE_INTEGRITY' });
    expect(flipNextPackage).toBe(false);
  });

  it('refuses a package whose announced hash is wrong (PACKAGE_SIGNATURE: the binding no longer matches)', async () => {
    expect(await inPage('hash')).toMatchObject({ ok: false, code: 'PACKAGE_SIGNATURE' });
  });

  it('refuses a gate answer that differs from its signed manifest with MANIFEST_MISMATCH', async () => {
    flipNextMandatory = true;
    expect(await inPage()).toMatchObject({ ok: false, code: 'MANIFEST_MISMATCH' });
    expect(flipNextMandatory).toBe(false);
  });

  it('refuses a package under another version with PACKAGE_SIGNATURE', async () => {
    expect(await inPage('version')).toMatchObject({ ok: false, code: 'PACKAGE_SIGNATURE' });
  });

  // Last: it adds a second mini program to the host app's answer.
  it('rebuilds a package from the installed version and a patch (fossil-delta in the browser), and checks it', async () => {
    const call = (method: 'POST' | 'PUT', url: string, payload?: unknown) =>
      admin.request({ method, url, payload: payload as never, headers: { origin: siteUrl } });
    const { from, to } = await packagePair('one-file-changed', 5, 300_000);
    const id = (await call('POST', '/api/v1/mini-programs', { name: 'Web Patched' })).json().miniProgramId as string;
    for (const [version, bytes] of [
      ['1.0.0.1', from],
      ['1.0.0.2', to],
    ] as const) {
      expect((await call('POST', `/api/v1/mini-programs/${id}/packages`, packageForm({ version }, bytes))).statusCode).toBe(201);
      if (version === '1.0.0.1') await call('PUT', `/api/v1/host-apps/web/${appId}/mini-programs/${id}`);
      expect((await call('POST', `/api/v1/mini-programs/${id}/packages/${version}/release`)).statusCode).toBe(200);
    }
    await t.app.services.patches.idle();
    const fromSha = createHash('sha256').update(from).digest('hex');
    const page = await browser.newPage();
    try {
      await page.goto(siteUrl);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 10_000 });
      hits.length = 0;
      const result = await page.evaluate(
        ([c, i, u]) =>
          (window as unknown as { patchPackage: (...a: unknown[]) => Promise<Record<string, unknown>> }).patchPackage(c, i, '1.0.0.1', u),
        [config, id, `/client/v1/packages/${fromSha}.zip`] as const,
      );
      expect(result).toMatchObject({ size: to.length, sha256: createHash('sha256').update(to).digest('hex') });
      expect(result.sha256).toBe(result.announced);
      expect(result.patch).toMatchObject({ fromVersion: '1.0.0.1', format: 'mpop-patch-v1' });
      // The installed package (fetched by the page itself) and the patch: never the new package.
      expect(hits.filter((h) => h.startsWith('GET /client/v1/patches/'))).toHaveLength(1);
      expect(hits.filter((h) => h.startsWith('GET /client/v1/packages/'))).toEqual([`GET /client/v1/packages/${fromSha}.zip`]);
    } finally {
      await page.close();
    }
  });
});
