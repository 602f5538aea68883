import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
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
