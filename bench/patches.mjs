#!/usr/bin/env node
// Patch formats compared on real-looking mini program packages (bench/mini-program-packages.mjs): size of the patch
// against the full package, time to make and to apply it, and the memory it takes (resident set growth of a fresh
// process). `node bench/patches.mjs` measures fossil-delta (the project's); `--other DIR` adds xdelta3-wasm and
// vcdiff-wasm installed in DIR (`npm install xdelta3-wasm vcdiff-wasm` in a scratch folder, never in the project).
// `--one KIND LIB BYTES` is the child mode that measures one case in a fresh process.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { PAIR_KINDS, packagePair } from './mini-program-packages.mjs';

const here = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

async function library(name, otherDir) {
  if (name === 'mpop (bounded fossil-delta)') {
    const f = await import('../packages/server/dist/modules/patches/fossil-delta.js');
    const c = await import('../packages/client/dist/patch.js');
    // As the server makes them (kept only under half the package, so the encoder stops there) and @mpop/client
    // applies them (into one buffer of the announced size).
    return {
      make: (a, b) => f.encodeBounded(a, b, Math.ceil(b.length / 2) - 1) ?? new Uint8Array(0),
      apply: (a, d, size) => c.applyPatch(a, d, size),
    };
  }
  if (name === 'fossil-delta') {
    const f = await import('fossil-delta');
    return { make: (a, b) => f.createDelta(a, b), apply: (a, d) => f.applyDelta(a, d) };
  }
  const require = createRequire(path.join(otherDir, 'x.js'));
  if (name === 'xdelta3-wasm') {
    const x = require('xdelta3-wasm');
    await x.init();
    const cap = (n) => n * 2 + 1_000_000;
    return {
      make: (a, b) => x.xd3_encode_memory(b, a, cap(b.length), x.xd3_smatch_cfg.DEFAULT).output,
      apply: (a, d) => x.xd3_decode_memory(d, a, cap(a.length + d.length)).output,
    };
  }
  if (name === 'vcdiff-wasm') {
    const { encoder, decoder } = await require('vcdiff-wasm')();
    return { make: (a, b) => encoder(a, b), apply: (a, d) => decoder(a, d) };
  }
  throw new Error(`unknown library ${name}`);
}

/** One case in this (fresh) process: prints JSON. */
async function one(kind, lib, bytes, otherDir) {
  const { from, to } = await packagePair(kind, 1, bytes);
  const l = await library(lib, otherDir);
  // The inputs as the library takes them, made before memory is measured (the server reads each package into one
  // buffer of its own and moves it to the worker thread).
  const a = new Uint8Array(from);
  const b = new Uint8Array(to);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  let delta;
  try {
    delta = Buffer.from(l.make(a, b));
    if (delta.length === 0)
      throw new Error(lib.startsWith('mpop') ? 'stopped: not under half the package' : 'no output (out of its fixed memory)');
  } catch (err) {
    clearInterval(sample);
    const makeMs = performance.now() - t0;
    console.log(
      JSON.stringify({
        kind,
        lib,
        full: to.length,
        error: err.message,
        makeMs,
        rssGrowthMiB: (Math.max(peak, process.memoryUsage().rss) - rss0) / 1048576,
      }),
    );
    return;
  }
  const t1 = performance.now();
  const makePeak = Math.max(peak, process.memoryUsage().rss);
  global.gc?.();
  const rss1 = process.memoryUsage().rss;
  const out = Buffer.from(l.apply(a, new Uint8Array(delta), to.length));
  const t2 = performance.now();
  const applyPeak = process.memoryUsage().rss;
  clearInterval(sample);
  console.log(
    JSON.stringify({
      kind,
      lib,
      full: to.length,
      patch: delta.length,
      saved: 1 - delta.length / to.length,
      makeMs: t1 - t0,
      applyMs: t2 - t1,
      rssGrowthMiB: (makePeak - rss0) / 1048576,
      applyGrowthMiB: (applyPeak - rss1) / 1048576,
      exact: out.equals(to),
    }),
  );
}

if (args[0] === '--one') {
  await one(args[1], args[2], Number(args[3]), args[4]);
} else {
  const other = arg('other');
  const libs = ['mpop (bounded fossil-delta)', 'fossil-delta', ...(other ? ['xdelta3-wasm', 'vcdiff-wasm'] : [])];
  const sizes = (arg('sizes') ?? '2300000').split(',').map(Number);
  const rows = [];
  for (const bytes of sizes) {
    for (const kind of PAIR_KINDS) {
      for (const lib of libs) {
        const out = execFileSync(process.execPath, ['--expose-gc', here, '--one', kind, lib, String(bytes), other ?? ''], {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        });
        rows.push(JSON.parse(out.trim().split('\n').pop()));
      }
    }
  }
  const mb = (n) => (n / 1e6).toFixed(2);
  console.log(
    '| package | new version | library | patch (KB) | saved | make (ms) | apply (ms) | memory to make (MiB) | memory to apply (MiB) | exact |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.error) {
      const ms = r.makeMs === undefined ? '' : r.makeMs.toFixed(0);
      const mem = r.rssGrowthMiB === undefined ? '' : r.rssGrowthMiB.toFixed(0);
      console.log(`| ${mb(r.full)} MB | ${r.kind} | ${r.lib} | ${r.error} | | ${ms} | | ${mem} | | |`);
      continue;
    }
    console.log(
      `| ${mb(r.full)} MB | ${r.kind} | ${r.lib} | ${(r.patch / 1000).toFixed(1)} | ${(r.saved * 100).toFixed(1)} % | ${r.makeMs.toFixed(0)} | ${r.applyMs.toFixed(0)} | ${r.rssGrowthMiB.toFixed(0)} | ${r.applyGrowthMiB.toFixed(0)} | ${r.exact ? 'yes' : 'NO'} |`,
    );
  }
}
