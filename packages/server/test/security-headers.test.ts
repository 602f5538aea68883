import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { dialects, startApp, type TestApp } from './helpers/app.js';

/** A stand-in for the built console: an index.html and one asset. */
function fakeConsole(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-console-'));
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><div id="root"></div><script type="module" src="/assets/app.js"></script>',
  );
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
  return dir;
}

const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

describe.each(dialects)('security headers on %s', (dialect) => {
  let t: TestApp;
  let consoleDir: string;
  beforeAll(async () => {
    consoleDir = fakeConsole();
    t = await startApp(dialect, { MPOP_CONSOLE_DIR: consoleDir });
  });
  afterAll(async () => {
    await t.destroy();
    fs.rmSync(consoleDir, { recursive: true, force: true });
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  it.each([
    '/index.html',
    '/',
    '/host-apps',
    '/mini-programs?page=2',
    '/sign-in',
    '/no/such/console/route',
    '/api/docs',
    '/api/docs/static/index.html',
  ])('sends a CSP that allows only the platform itself, and forbids framing, on %s', async (url) => {
    const res = await get(url);
    expect(res.statusCode).toBeLessThan(400);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeUndefined(); // MPOP_PUBLIC_URL is http here
  });

  it('sends the headers on API answers and problems too', async () => {
    for (const url of ['/healthz', '/api/v1/session', '/api/v1/nothing-here']) {
      const res = await get(url);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });
});

describe('HSTS', () => {
  let t: TestApp;
  afterAll(() => t?.destroy());

  it('is sent for a year when MPOP_PUBLIC_URL is https, and the CSP upgrades stray http loads', async () => {
    t = await startApp('sqlite', { MPOP_PUBLIC_URL: 'https://mpop.example.com' });
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(String(res.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
  });
});

describe('the data dir', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-perm-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const start = async (dataDir: string) => {
    const app = await buildApp(loadConfig({ MPOP_DATA_DIR: dataDir, LOG_LEVEL: 'silent', MPOP_CONSOLE_DIR: path.join(root, 'none') }));
    // A write, so that SQLite has made its -wal file too.
    await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'nobody', password: 'wrong' } });
    return app;
  };

  it('is created 0700 with the SQLite database, its journal and the master key 0600, whatever the umask', async () => {
    const old = process.umask(0o022);
    try {
      const dataDir = path.join(root, 'fresh', 'data');
      const app = await start(dataDir);
      expect(mode(dataDir)).toBe('700');
      expect(mode(path.join(dataDir, 'mpop.db'))).toBe('600');
      expect(mode(path.join(dataDir, 'mpop.db-wal'))).toBe('600');
      expect(mode(path.join(dataDir, 'master.key'))).toBe('600');
      expect(mode(path.join(dataDir, 'packages'))).toBe('700');
      await app.close();
    } finally {
      process.umask(old);
    }
  });

  it('is narrowed on start when an earlier version left it readable by others (0755 / 0644)', async () => {
    const dataDir = path.join(root, 'old');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    fs.writeFileSync(path.join(dataDir, 'mpop.db'), '');
    fs.chmodSync(path.join(dataDir, 'mpop.db'), 0o644);
    const app = await start(dataDir);
    expect(mode(dataDir)).toBe('700');
    expect(mode(path.join(dataDir, 'mpop.db'))).toBe('600');
    await app.close();
  });
});
