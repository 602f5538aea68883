import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanServerEnv, freePort, run, waitFor } from './helpers/process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start, stopped by a supervisor', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('passes SIGTERM sent to npm on to the server, which finishes and frees the port and the database', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-npm-start-'));
    dirs.push(dataDir);
    const port = await freePort();
    const npm = run('npm', ['start', '--silent'], { ...cleanServerEnv(dataDir, port), LOG_FORMAT: 'json' }, { cwd: root });
    await waitFor(`http://127.0.0.1:${port}/healthz`, 90_000);
    // The server's own pid, from its log lines: the process that must not outlive npm.
    const serverPid = Number(/"pid":(\d+)/.exec(npm.stdout())?.[1]);
    expect(serverPid).toBeGreaterThan(0);
    expect(serverPid).not.toBe(npm.child.pid);
    // glibc's mmap threshold is fixed (scripts/server-env.mjs), so large blocks go back to the system when freed.
    if (process.platform === 'linux') {
      const environ = fs.readFileSync(`/proc/${serverPid}/environ`, 'utf8').split('\0');
      expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    }

    npm.child.kill('SIGTERM');
    const { code } = await npm.exited;
    expect(code).toBe(0);
    // npm waited for the server: when npm is gone, so is the server (no orphan holding the port and the lock).
    expect(alive(serverPid)).toBe(false);
    expect(npm.stdout()).toMatch(/shutting down/);
    // The build's own output (vite, tsc) is not part of npm start's output.
    expect(npm.stdout()).not.toMatch(/vite v\d|transforming/);
  }, 150_000);
});
