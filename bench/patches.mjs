#!/usr/bin/env node
// Patch formats compared on real-looking mini program packages (bench/mini-program-packages.mjs): size of the patch
// against the full package, time to make and to apply it, and the memory it takes (peak resident set growth of a
// fresh process, its worker threads included). `node bench/patches.mjs` measures mpop's patches (the fossil-delta library,
// one delta per chunk, made in the server's worker thread and applied by @mpop/client) and the library on the whole
// package; `--before DIR` adds the hand-written bounded codec mpop used before (DIR holds encoder.js and applier.js,
// the built packages/server/dist/modules/patches/fossil-delta.js and packages/client/dist/patch.js of commit
// ac51ce4); `--other DIR` adds xdelta3-wasm and vcdiff-wasm installed in DIR (`npm install xdelta3-wasm vcdiff-wasm`
// in a scratch folder, never in the project). `--sizes 2300000,17600000` picks the package sizes, `--libs a,b` the
// libraries, `--kinds` the pairs. Each making and each applying runs in a fresh process (`--make` / `--apply LIB
// DIR`) that reports the growth of its peak resident set.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { PAIR_KINDS, packagePair } from './mini-program-packages.mjs';

const here = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

async function library(name, otherDir) {
  if (name === 'mpop') {
    const w = await import('../packages/server/dist/modules/patches/delta-worker.js');
    const c = await import('../packages/client/dist/patch.js');
    // As the server makes them (in its worker thread, with its heap limit; kept only under half the package, so it
    // stops there) and @mpop/client applies them (into one buffer of the announced size).
    return {
      make: async (a, b) => {
        const made = await w.makeDelta(a.slice(), b.slice(), Math.ceil(b.length / 2) - 1, 60 * 60_000).result;
        if (!made.over && !made.exact) throw new Error('the patch does not rebuild the package');
        return made.over ? new Uint8Array(0) : made.patch;
      },
      apply: (a, d, size) => c.applyPatch(a, d, size),
    };
  }
  if (name === 'hand-written') {
    const f = await import(pathToFileURL(path.join(otherDir, 'encoder.js')).href);
    const c = await import(pathToFileURL(path.join(otherDir, 'applier.js')).href);
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

/**
 * The peak resident set of this process (worker threads included) between `start()` and `peak()`, in MiB, sampled
 * every 2 ms by a thread of its own (so a synchronous apply is sampled too). `maxRSS` would not do: a child started
 * by exec inherits its parent's.
 */
async function rssSampler() {
  const { Worker } = await import('node:worker_threads');
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads');
     let peak = 0;
     setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
     parentPort.on('message', (m) => { const now = process.memoryUsage.rss(); peak = m === 'start' ? now : Math.max(peak, now); parentPort.postMessage(peak); });`,
    { eval: true },
  );
  const ask = (m) =>
    new Promise((resolve) => {
      w.once('message', resolve);
      w.postMessage(m);
    });
  await ask('start');
  return { start: () => ask('start'), peak: async () => (await ask('peak')) / 1048576, stop: () => w.terminate() };
}

/**
 * Makes the patch from DIR/from to DIR/to in this (fresh) process, writes it to DIR/<lib>.patch and prints JSON. The
 * inputs are read from files before memory is measured: the peak growth is the making's alone.
 */
async function make(lib, dir, otherDir) {
  const l = await library(lib, otherDir);
  const a = new Uint8Array(fs.readFileSync(path.join(dir, 'from')));
  const b = new Uint8Array(fs.readFileSync(path.join(dir, 'to')));
  const sampler = await rssSampler();
  global.gc?.();
  const base = (await sampler.start()) / 1048576;
  const t0 = performance.now();
  let delta;
  let error;
  try {
    delta = Buffer.from(await l.make(a, b));
    if (delta.length === 0) error = lib === 'fossil-delta' ? 'no output' : 'stopped: not under half the package';
  } catch (err) {
    error = err.message;
  }
  const makeMs = performance.now() - t0;
  const makePeakMiB = (await sampler.peak()) - base;
  await sampler.stop();
  if (!error) fs.writeFileSync(path.join(dir, `${lib}.patch`), delta);
  console.log(JSON.stringify({ lib, full: b.length, ...(error ? { error } : { patch: delta.length }), makeMs, makePeakMiB }));
  process.exit(0);
}

/** Applies DIR/<lib>.patch to DIR/from in this (fresh) process and prints JSON (time, peak growth, exact). */
async function apply(lib, dir, otherDir) {
  const l = await library(lib, otherDir);
  const a = new Uint8Array(fs.readFileSync(path.join(dir, 'from')));
  const to = fs.readFileSync(path.join(dir, 'to'));
  const d = new Uint8Array(fs.readFileSync(path.join(dir, `${lib}.patch`)));
  const sampler = await rssSampler();
  global.gc?.();
  const base = (await sampler.start()) / 1048576;
  const t0 = performance.now();
  const out = l.apply(a, d, to.length);
  const applyMs = performance.now() - t0;
  const applyPeakMiB = (await sampler.peak()) - base;
  await sampler.stop();
  console.log(JSON.stringify({ applyMs, applyPeakMiB, exact: Buffer.from(out.buffer, out.byteOffset, out.length).equals(to) }));
  process.exit(0);
}

const child = (mode, lib, dir, otherDir) =>
  JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', here, mode, lib, dir, otherDir ?? ''], { encoding: 'utf8', maxBuffer: 1 << 20 })
      .trim()
      .split('\n')
      .pop(),
  );

if (args[0] === '--make') {
  await make(args[1], args[2], args[3]);
} else if (args[0] === '--apply') {
  await apply(args[1], args[2], args[3]);
} else {
  const other = arg('other');
  const before = arg('before');
  const libs = arg('libs')?.split(',') ?? [
    'mpop',
    ...(before ? ['hand-written'] : []),
    'fossil-delta',
    ...(other ? ['xdelta3-wasm', 'vcdiff-wasm'] : []),
  ];
  const kinds = arg('kinds')?.split(',') ?? PAIR_KINDS;
  const sizes = (arg('sizes') ?? '2300000').split(',').map(Number);
  const rows = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-patch-bench-'));
  try {
    for (const bytes of sizes) {
      for (const kind of kinds) {
        const { from, to } = await packagePair(kind, 1, bytes);
        fs.writeFileSync(path.join(dir, 'from'), from);
        fs.writeFileSync(path.join(dir, 'to'), to);
        for (const lib of libs) {
          const otherDir = lib === 'hand-written' ? before : other;
          const made = child('--make', lib, dir, otherDir);
          const row = { kind, ...made, ...(made.error ? {} : child('--apply', lib, dir, otherDir)) };
          rows.push(row);
          console.error(JSON.stringify(row));
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const mb = (n) => (n / 1e6).toFixed(2);
  const mib = (n) => n.toFixed(0);
  console.log(
    '| package | new version | library | patch (KB) | saved | make (ms) | apply (ms) | peak memory to make (MiB) | peak memory to apply (MiB) | exact |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const head = `| ${mb(r.full)} MB | ${r.kind} | ${r.lib} |`;
    if (r.error) console.log(`${head} ${r.error} | | ${r.makeMs.toFixed(0)} | | ${mib(r.makePeakMiB)} | | |`);
    else
      console.log(
        `${head} ${(r.patch / 1000).toFixed(1)} | ${((1 - r.patch / r.full) * 100).toFixed(1)} % | ${r.makeMs.toFixed(0)} | ${r.applyMs.toFixed(0)} | ${mib(r.makePeakMiB)} | ${mib(r.applyPeakMiB)} | ${r.exact ? 'yes' : 'NO'} |`,
      );
  }
}
