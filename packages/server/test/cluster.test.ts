import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rsaKey } from './helpers/keys.js';
import { freePort, MAIN, within } from './helpers/process.js';
import { miniProgramZip } from './helpers/packages.js';

/** A request on a connection of its own, so that the cluster's round-robin hands it to the next worker. */
type Answer = { resources: { miniProgramId: string }[] };
function request(port: number, method: string, url: string, body?: unknown): Promise<{ status: number; json: () => Answer }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, method, path: url, agent: false, headers: payload ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, json: () => JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function start(env: Record<string, string>): { child: ChildProcess; stderr: () => string } {
  let stderr = '';
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c) => (stderr += c));
  return { child, stderr: () => stderr };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

/** Polls `check` for up to `ms`: `within` with the check first, as these tests read best. */
const waitFor = (check: () => Promise<boolean>, ms: number) => within(ms, check);

describe('MPOP_WORKERS=2 on SQLite (dist/main.js)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-cluster-'));
  let port: number;
  let server: ReturnType<typeof start>;
  let cookie: string;
  const base = () => `http://127.0.0.1:${port}`;
  const admin = (method: string, url: string, body?: BodyInit, json = true) =>
    fetch(`${base()}${url}`, {
      method,
      body,
      headers: { cookie, origin: 'http://mpop.test', ...(json && body ? { 'content-type': 'application/json' } : {}) },
    });

  beforeAll(async () => {
    port = await freePort();
    server = start({
      PORT: String(port),
      MPOP_WORKERS: '2',
      MPOP_DATA_DIR: dataDir,
      MPOP_PUBLIC_URL: 'http://mpop.test',
      MPOP_ADMIN_USERNAME: 'admin',
      MPOP_ADMIN_PASSWORD: 'admin-password-123',
    });
    await waitFor(async () => (await fetch(`${base()}/readyz`)).ok, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; the server said: ${server.stderr().slice(-2000) || '(nothing)'}`);
    });
    // Both workers up: the primary has two child processes, and both answer (round-robin over new connections).
    await waitFor(
      async () =>
        execFileSync('ps', ['--ppid', String(server.child.pid), '-o', 'pid='])
          .toString()
          .trim()
          .split('\n').length === 2,
      60_000,
    );
    await waitFor(async () => {
      const answers = await Promise.all(Array.from({ length: 4 }, () => request(port, 'GET', '/readyz')));
      return answers.every((a) => a.status === 200);
    }, 60_000);
    const signIn = await fetch(`${base()}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password-123' }),
    });
    expect(signIn.status).toBe(200);
    cookie = signIn.headers.get('set-cookie')!.split(';')[0];
  }, 120_000);

  afterAll(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('honours a revoke made through one worker in every worker within one second', async () => {
    const { appId } = await (await admin('POST', '/api/v1/host-apps', JSON.stringify({ name: 'Clustered', workspaceId: 'c' }))).json();
    const dev = new FormData();
    dev.append('virtualDomain', 'cluster.example.com');
    dev.append('privateKey', new Blob([rsaKey().pkcs8]), 'k.pem');
    expect((await admin('PUT', `/api/v1/host-apps/c/${appId}/dev-config`, dev, false)).status).toBe(200);
    const { miniProgramId: id } = await (await admin('POST', '/api/v1/mini-programs', JSON.stringify({ name: 'Clustered MP' }))).json();
    const up = new FormData();
    up.append('version', '1.0.0.0');
    up.append('package', new Blob([new Uint8Array(await miniProgramZip())]), 'p.zip');
    expect((await admin('POST', `/api/v1/mini-programs/${id}/packages`, up, false)).status).toBe(201);
    expect((await admin('POST', `/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).status).toBe(200);
    expect((await admin('PUT', `/api/v1/host-apps/c/${appId}/mini-programs/${id}`)).status).toBe(200);

    const body = { appId, workspaceId: 'c', platform: 'android', clientVersion: '1.0', miniPrograms: {} };
    const askAll = () => Promise.all(Array.from({ length: 6 }, () => request(port, 'POST', '/client/v1/resources', body)));
    // Every worker has the answer cached.
    for (const a of await askAll()) expect(a.json().resources.map((r) => r.miniProgramId)).toEqual([id]);

    expect((await admin('DELETE', `/api/v1/host-apps/c/${appId}/mini-programs/${id}`)).status).toBe(204);
    const ms = await waitFor(async () => (await askAll()).every((a) => a.status === 200 && a.json().resources.length === 0), 1000);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses a second, independent mpop on the same SQLite database, saying why', async () => {
    const second = start({ PORT: String(await freePort()), MPOP_DATA_DIR: dataDir });
    expect(await exited(second.child)).toBe(1);
    expect(second.stderr()).toMatch(new RegExp(`Another mpop \\(pid ${server.child.pid} on .*\\) is using the SQLite database`));
    expect(second.stderr()).toMatch(/MPOP_WORKERS/);
    expect(second.stderr()).toContain(`${path.join(dataDir, 'mpop.db')}.lock`);
    // The first one is unharmed.
    expect((await request(port, 'GET', '/readyz')).status).toBe(200);
  });

  it('stops every worker on SIGTERM, releases the lock, and a lock left by a dead process does not block the next start', async () => {
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toBe(0);
    const lock = `${path.join(dataDir, 'mpop.db')}.lock`;
    expect(fs.existsSync(lock)).toBe(false);

    // A crashed owner: its pid no longer runs.
    const dead = spawn(process.execPath, ['-e', '0']);
    await exited(dead);
    fs.writeFileSync(lock, JSON.stringify({ pid: dead.pid, hostname: os.hostname(), startedAt: new Date().toISOString() }));
    const nextPort = await freePort();
    const next = start({ PORT: String(nextPort), MPOP_DATA_DIR: dataDir });
    await waitFor(async () => (await request(nextPort, 'GET', '/readyz')).status === 200, 60_000);
    expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(next.child.pid);
    next.child.kill('SIGTERM');
    expect(await exited(next.child)).toBe(0);
  });
});
