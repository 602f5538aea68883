import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { encodeChunked, rebuildsExactly } from './chunked-delta.js';

/**
 * Bytes of the new package each fossil delta of a patch covers: what one library call holds is bounded by it, on the
 * server and on devices. 512 KiB up to 16 MiB packages (at most 32 chunks); above, 1/32 of the package (in steps of
 * 64 KiB) up to 2 MiB, because each chunk indexes the whole older package again: making takes chunks × that time.
 */
export function patchChunkBytes(packageBytes: number): number {
  const step = 64 * 1024;
  return Math.min(2 * 1024 * 1024, Math.max(512 * 1024, Math.ceil(packageBytes / 32 / step) * step));
}

/** Where the fossil-delta library is, for the worker thread to import (an ES module). */
const LIBRARY_URL = pathToFileURL(createRequire(import.meta.url).resolve('fossil-delta')).href;

/**
 * The worker's code, made from the source text of the two functions (so the same file works from the TypeScript
 * sources and from dist/) and the fossil-delta library it imports. It makes the patch from one package to the other
 * within `maxBytes`, checks that it rebuilds the new package exactly, and hands it back (its memory moved, not
 * copied).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
var __name = (f) => f; // a helper some TypeScript transforms put into function bodies
const encodeChunked = (${encodeChunked.toString()});
const rebuildsExactly = (${rebuildsExactly.toString()});
parentPort.once('message', async ({ from, to, maxBytes, chunkSize, library }) => {
  try {
    const { createDelta, applyDelta } = await import(library);
    const a = new Uint8Array(from);
    const b = new Uint8Array(to);
    const made = encodeChunked(a, b, maxBytes, chunkSize, createDelta);
    if (!made) return parentPort.postMessage({ over: true });
    const patch = made.buffer.subarray(0, made.length);
    const exact = rebuildsExactly(a, patch, b, applyDelta);
    parentPort.postMessage({ patch: made.buffer.buffer, length: made.length, exact }, [made.buffer.buffer]);
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
`;

/** What a delta run gives: the patch (and whether it rebuilds the package exactly), or `over` its size bound. */
export type DeltaResult = { over: true } | { over: false; patch: Buffer; exact: boolean };

/** A delta being made in its own worker thread; `cancel` ends the thread at once. */
export interface DeltaRun {
  result: Promise<DeltaResult>;
  cancel(): void;
}

/**
 * The JavaScript heap (MiB) the worker may grow to for a package of `bytes`: the library's table of the old
 * package (two plain arrays of one entry per 16 bytes, about its size) and its arrays for one chunk (about 16 bytes
 * per byte, made and checked), with room to spare. A thread that outgrows it ends: the job fails, never the server.
 */
export function workerHeapMb(bytes: number, chunkSize: number): number {
  return Math.ceil((2 * bytes + 40 * chunkSize) / 1048576) + 48;
}

/**
 * Makes a patch (`mpop-patch-v1`: one fossil delta per `chunkSize` bytes of `to`, against the whole of `from`) of
 * at most `maxBytes` in a new worker thread (the event loop, so the gate, never waits for it), which exits once the
 * patch is back: its memory is returned whole. The two buffers are moved to the thread, not copied (they are
 * unusable here afterwards). Rejects after `timeoutMs`, or when the thread outgrows its heap (workerHeapMb).
 */
export function makeDelta(
  from: Uint8Array,
  to: Uint8Array,
  maxBytes: number,
  timeoutMs: number,
  chunkSize = patchChunkBytes(to.length),
  heapMb = workerHeapMb(Math.max(from.length, to.length), chunkSize),
): DeltaRun {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 16 },
  });
  worker.unref();
  let timer: NodeJS.Timeout | undefined;
  let fail: (err: Error) => void = () => {};
  const result = new Promise<DeltaResult>((resolve, reject) => {
    fail = reject;
    timer = setTimeout(() => reject(new Error(`making the patch took longer than ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    timer.unref();
    worker.once('message', (m: { over?: boolean; patch?: ArrayBuffer; length?: number; exact?: boolean; error?: string }) => {
      if (m.over) resolve({ over: true });
      else if (m.error !== undefined || !m.patch) reject(new Error(m.error ?? 'the patch worker gave no answer'));
      else resolve({ over: false, patch: Buffer.from(m.patch, 0, m.length), exact: m.exact === true });
    });
    worker.once('error', (err) =>
      reject(
        (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new Error(`the patch worker outgrew its ${heapMb} MiB heap`)
          : err,
      ),
    );
    worker.once('exit', (code) => reject(new Error(`the patch worker exited (code ${code})`)));
  }).finally(() => {
    clearTimeout(timer);
    void worker.terminate();
  });
  const owned = (b: Uint8Array) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice());
  const a = owned(from);
  const b = owned(to);
  worker.postMessage({ from: a.buffer, to: b.buffer, maxBytes, chunkSize, library: LIBRARY_URL }, [
    a.buffer as ArrayBuffer,
    b.buffer as ArrayBuffer,
  ]);
  return { result, cancel: () => fail(new Error('the server is stopping')) };
}
