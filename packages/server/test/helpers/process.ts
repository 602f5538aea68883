import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built server entry and CLI: these tests run what `npm start` and `npx mpop` run. */
export const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli/main.js');

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export async function waitFor(url: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up within ${ms} ms`);
}

/** A child process with its output collected and its exit awaited. */
export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function run(command: string, args: string[], env: Record<string, string | undefined>, options: SpawnOptions = {}): Run {
  const child = spawn(command, args, { env: { ...process.env, ...env } as NodeJS.ProcessEnv, ...options });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c) => (out += c));
  child.stderr?.on('data', (c) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Environment that keeps a spawned server from inheriting the test runner's own settings. */
export const cleanServerEnv = (dataDir: string, port: number): Record<string, string> => ({
  PORT: String(port),
  HOST: '127.0.0.1',
  MPOP_DATA_DIR: dataDir,
  DATABASE_URL: '',
  MPOP_MASTER_KEY: '',
  MPOP_ADMIN_USERNAME: '',
  MPOP_ADMIN_PASSWORD: '',
  LOG_FORMAT: '',
  LOG_LEVEL: 'info',
});

export interface ServerProcess {
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  run: Run;
  /** SIGTERM, and the exit code. */
  stop: () => Promise<number | null>;
}

/** Starts the built server on a free port with a bootstrap admin; SQLite in `dataDir` unless `env` says otherwise. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const all = {
    ...cleanServerEnv(dataDir, port),
    MPOP_ADMIN_USERNAME: 'admin',
    MPOP_ADMIN_PASSWORD: 'admin-password-123',
    MPOP_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...env,
  };
  const r = run(process.execPath, [MAIN], all);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/readyz`);
  } catch (err) {
    r.child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${r.stderr()}\n${r.stdout().slice(-2000)}`);
  }
  return {
    url,
    port,
    dataDir,
    env: all,
    run: r,
    stop: async () => {
      r.child.kill('SIGTERM');
      return (await r.exited).code;
    },
  };
}

/** Signs in as the bootstrap admin and creates an API token of the given role. */
export async function apiToken(url: string, role: 'admin' | 'operator' | 'viewer' = 'admin'): Promise<string> {
  const signIn = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin-password-123' }),
  });
  const cookie = signIn.headers.get('set-cookie')!.split(';')[0];
  const res = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { cookie, origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `test-${role}-${Date.now()}`, role }),
  });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Runs the built CLI and waits for it. */
export async function cli(args: string[], env: Record<string, string | undefined>, input?: string) {
  const r = run(process.execPath, [CLI, ...args], env, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (input !== undefined) r.child.stdin!.end(input);
  const { code } = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr(), json: () => JSON.parse(r.stdout()) };
}

/** Within `ms`, polls `check` until it holds (a failing check counts as not yet); @returns how long that took. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check().catch(() => false)) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not within ${ms} ms`);
}

/**
 * A second server process on the database of an app started in-process (`startApp`), with its own data dir and
 * the same master key: two instances of one installation, as behind a load balancer.
 */
export async function startSecondInstance(
  databaseUrl: string,
  masterKey: string,
): Promise<ServerProcess & { destroy: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-b-'));
  const server = await startServer(dataDir, {
    DATABASE_URL: databaseUrl,
    MPOP_MASTER_KEY: masterKey,
    LOG_LEVEL: 'warn',
    MPOP_ADMIN_USERNAME: '',
    MPOP_ADMIN_PASSWORD: '',
  });
  return {
    ...server,
    destroy: async () => {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
