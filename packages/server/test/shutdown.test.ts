import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanServerEnv, freePort, MAIN, run, waitFor } from './helpers/process.js';

/**
 * A shutdown must end in bounded time whatever happens to the log output. pino's default destination flushed
 * synchronously at exit and retried a full pipe forever (a blocking sleep: the main thread in a futex wait), so a
 * server whose stdout reader had stopped reading closed its listener and database on SIGTERM and never exited.
 */
describe('shutdown of the built server when nobody reads its log output', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function serverWithUnreadStdout() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-shutdown-'));
    dirs.push(dir);
    const port = await freePort();
    const r = run(process.execPath, [MAIN], cleanServerEnv(dir, port), { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitFor(`http://127.0.0.1:${port}/readyz`);
    return { ...r, port };
  }

  /** Requests with long URLs: each one writes a few kilobytes of log lines. */
  async function logALot(port: number, megabytes: number) {
    const long = `/no-such-page/${'x'.repeat(4000)}`;
    const count = Math.ceil((megabytes * 1024 * 1024) / 8000);
    for (let i = 0; i < count; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}${long}`).then((res) => res.arrayBuffer())));
    }
  }

  async function exitTime(r: Awaited<ReturnType<typeof serverWithUnreadStdout>>) {
    const started = Date.now();
    r.child.kill('SIGTERM');
    const killer = setTimeout(() => r.child.kill('SIGKILL'), 40_000);
    const { code, signal } = await r.exited;
    clearTimeout(killer);
    return { code, signal, ms: Date.now() - started };
  }

  it('exits 0 within seconds of SIGTERM when the reader of stdout stopped reading (the pipe is full)', async () => {
    const r = await serverWithUnreadStdout();
    r.child.stdout!.pause(); // the reader is alive but reads no more: the pipe fills, writes would block
    r.child.stdout!.removeAllListeners('data');
    await logALot(r.port, 3);
    // The server still answers while its log output is stuck.
    expect((await fetch(`http://127.0.0.1:${r.port}/healthz`)).status).toBe(200);
    const { code, signal, ms } = await exitTime(r);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
  }, 120_000);

  it('exits 0 within seconds of SIGTERM when the reader of stdout is gone (EPIPE)', async () => {
    const r = await serverWithUnreadStdout();
    r.child.stdout!.destroy(); // closes our end of the pipe: the server's next writes fail with EPIPE
    await logALot(r.port, 0.5);
    expect((await fetch(`http://127.0.0.1:${r.port}/healthz`)).status).toBe(200);
    const { code, signal, ms } = await exitTime(r);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
  }, 120_000);
});
