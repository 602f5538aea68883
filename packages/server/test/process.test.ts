import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function waitFor(url: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

describe('the built server process (packages/server/dist/main.js)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-proc-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('tells how to create the first admin when there is none, and refuses a bad configuration clearly', async () => {
    const bad = spawn(process.execPath, [main], { env: { ...process.env, PORT: 'x', MPOP_DATA_DIR: dataDir } });
    let err = '';
    bad.stderr.on('data', (c) => (err += c));
    const code = await new Promise((r) => bad.on('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/PORT must be a whole number from 0 to 65535/);
  });

  it('starts, creates the bootstrap admin, limits its heap growth, serves, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MPOP_DATA_DIR: dataDir,
      DATABASE_URL: '',
      MPOP_ADMIN_USERNAME: 'root',
      MPOP_ADMIN_PASSWORD: 'root-password-123',
      MPOP_HEAP_GROWTH_PERCENT: '70',
    };
    // Tells which V8 flags the server sets on itself (MPOP_HEAP_GROWTH_PERCENT).
    const probe = path.join(dataDir, 'v8-flags-probe.cjs');
    fs.writeFileSync(
      probe,
      `const v8 = require('node:v8'); const set = v8.setFlagsFromString;
       v8.setFlagsFromString = (flags) => { process.stderr.write('v8 flags: ' + flags + '\\n'); return set(flags); };`,
    );
    const child = spawn(process.execPath, ['--require', probe, main], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    await waitFor(`http://127.0.0.1:${port}/readyz`);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'root', password: 'root-password-123' }),
    });
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(out).toMatch(/created the first admin/);
    expect(out).toMatch(/shutting down/);
    expect(fs.existsSync(path.join(dataDir, 'mpop.db'))).toBe(true);
    expect(err).toContain('v8 flags: --heap-growing-percent=70\n');
  });

  it('finishes a request in flight across SIGTERM, saves it, then exits 0', async () => {
    const port = await freePort();
    const env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MPOP_DATA_DIR: dataDir,
      DATABASE_URL: '',
      MPOP_ADMIN_USERNAME: 'root',
      MPOP_ADMIN_PASSWORD: 'root-password-123',
    };
    const child = spawn(process.execPath, [main], { env: { ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const exited = new Promise((r) => child.on('exit', r));
    await waitFor(`http://127.0.0.1:${port}/readyz`);
    const body = JSON.stringify({ name: 'Created During Shutdown', workspaceId: 'shutdown' });
    const signIn = await fetch(`http://127.0.0.1:${port}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'root', password: 'root-password-123' }),
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0];
    // Send the headers and half the body, then SIGTERM, then the rest: the request is in flight across the signal.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/host-apps',
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    const res = await answer;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text).name).toBe('Created During Shutdown');
    expect(await exited).toBe(0);
    // The shutdown said what it was waiting for.
    expect(out).toMatch(/shutting down: waiting up to 15 s for 1 request in flight \(POST \/api\/v1\/host-apps\)/);
    // Nothing half-written: the app is there after a restart.
    const again = spawn(process.execPath, [main], { env, stdio: 'ignore' });
    await waitFor(`http://127.0.0.1:${port}/readyz`);
    const s2 = await fetch(`http://127.0.0.1:${port}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'root', password: 'root-password-123' }),
    });
    const list = await (
      await fetch(`http://127.0.0.1:${port}/api/v1/host-apps?workspaceId=shutdown`, {
        headers: { cookie: s2.headers.get('set-cookie')!.split(';')[0] },
      })
    ).json();
    expect(list.items.map((a: { name: string }) => a.name)).toEqual(['Created During Shutdown']);
    again.kill('SIGTERM');
    expect(await new Promise((r) => again.on('exit', r))).toBe(0);
  });

  it('prints a one-line command to create the first admin when no user exists, and warns of what is open', async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-proc-'));
    const port = await freePort();
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: String(port),
        // Every interface, with no public URL and open metrics: the quick start's defaults.
        HOST: '',
        MPOP_PUBLIC_URL: '',
        MPOP_METRICS: '',
        MPOP_METRICS_TOKEN: '',
        MPOP_DATA_DIR: fresh,
        DATABASE_URL: '',
        MPOP_ADMIN_USERNAME: '',
        MPOP_ADMIN_PASSWORD: '',
      },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    // The sign-in page learns that nobody can sign in yet (and says how to create the first admin).
    expect(await (await fetch(`http://127.0.0.1:${port}/api/v1/session/options`)).json()).toMatchObject({ noUsers: true });
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
    expect(out).toMatch(/MPOP_ADMIN_USERNAME=admin MPOP_ADMIN_PASSWORD=.* npm start/);
    expect(out).toMatch(/MPOP_PUBLIC_URL is not set, so config files and package URLs carry http:\/\/localhost:/);
    expect(out).toMatch(/\/metrics is open to anyone who can reach every network interface/);
    fs.rmSync(fresh, { recursive: true, force: true });
  });
});
