import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StagingDir } from '../src/modules/mini-programs/local-package-store.js';

describe('the package store staging folders', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-staging-'));
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

  it('removes at start the uploads left by a process of this host that is gone, and keeps those of live or other hosts', () => {
    // A pid that was just used and is gone: an mpop stopped with Ctrl-C in the middle of an upload.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const host = os.hostname();
    const left = path.join(parent, `${host}-${gone}-dead0001`);
    const live = path.join(parent, `${host}-${process.pid}-live0001`);
    const other = path.join(parent, 'another-host-4242-othr0001');
    for (const dir of [left, live, other]) {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'upload.part'), 'half a zip');
    }

    const staging = new StagingDir(parent);
    expect(fs.existsSync(left)).toBe(false);
    expect(fs.existsSync(live)).toBe(true); // a live process (this one) may still be receiving
    expect(fs.existsSync(other)).toBe(true); // another host's: only after a day without change
    staging.close();
    expect(fs.existsSync(staging.dir)).toBe(false);
  });
});
