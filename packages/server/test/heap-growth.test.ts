import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { limitHeapGrowth } from '../src/lib/heap-growth.js';

describe('the heap growth between full collections (MPOP_HEAP_GROWTH_PERCENT)', () => {
  afterEach(() => vi.restoreAllMocks());

  it("sets V8's heap growing factor for the process, and leaves it alone at 0", () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => {});
    limitHeapGrowth(50);
    expect(set).toHaveBeenCalledWith('--heap-growing-percent=50');
    set.mockClear();
    limitHeapGrowth(0);
    expect(set).not.toHaveBeenCalled();
  });

  it('bounds a running process whose garbage reaches the old generation (the flag is read at every full collection)', () => {
    // 40 MB of live objects, and garbage that lives long enough to be promoted (as a fan-out's rows and the gate's
    // requests in flight do). Reported: the largest old generation, and what a full collection keeps at the end.
    const run = (percent: number) => {
      const program = `
        const v8 = require('node:v8');
        if (${percent} > 0) v8.setFlagsFromString('--heap-growing-percent=${percent}');
        const old = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
        const live = [];
        for (let i = 0; i < 300000; i++) live.push({ i, s: 'live ' + i, a: [i, i + 1] });
        const ring = new Array(300000);
        let k = 0, most = 0;
        for (let round = 0; round < 300; round++) {
          for (let j = 0; j < 20000; j++) ring[k++ % ring.length] = { k, s: 'garbage ' + k, a: [k, k, k] };
          most = Math.max(most, old().space_size);
        }
        gc();
        process.stdout.write(JSON.stringify({ most: most / 1048576, kept: old().space_used_size / 1048576, n: live.length + ring.length }));`;
      // A file, not \`-e\`: a module's code is optimised as the server's is.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-heap-'));
      try {
        fs.writeFileSync(path.join(dir, 'grow.cjs'), program);
        return JSON.parse(execFileSync(process.execPath, ['--expose-gc', path.join(dir, 'grow.cjs')], { encoding: 'utf8' })) as {
          most: number;
          kept: number;
        };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    const limited = run(50);
    const own = run(0);
    // V8 left to itself lets it grow much further (about 4.4 × what it keeps here, on Node.js 20 and 24 alike).
    expect(own.most).toBeGreaterThan(limited.most + 64);
    // With the flag, the garbage above what is kept is at most half of V8's own.
    expect(limited.most - limited.kept).toBeLessThan((own.most - own.kept) / 2);
    if (Number(process.versions.node.split('.')[0]) < 22) {
      // Node.js 20 (V8 11): 1.5 × what it keeps, plus V8's smallest step between limits (16 MiB on 64-bit) and what
      // is allocated while a collection marks (about 1.7 × here).
      expect(limited.most).toBeLessThan(limited.kept * 1.5 + 48);
    } else {
      // Node.js 24 (V8 13) allocates more while a collection marks: about 2.2 × here (docs/operations.md, Memory).
      expect(limited.most).toBeLessThan(limited.kept * 2.5);
    }
  }, 30_000);
});
