import { Worker } from 'node:worker_threads';
import { encodeBounded, rebuildsExactly } from './fossil-delta.js';

/**
 * The worker's code, made from the source text of the two functions (so the same file works from the TypeScript
 * sources and from dist/). It makes the patch from one package to the other within `maxBytes`, checks that it
 * rebuilds the new package exactly, and hands it back (its memory moved, not copied).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
var __name = (f) => f; // a helper some TypeScript transforms put into function bodies
const encodeBounded = (${encodeBounded.toString()});
const rebuildsExactly = (${rebuildsExactly.toString()});
parentPort.once('message', ({ from, to, maxBytes }) => {
  try {
    const a = new Uint8Array(from);
    const b = new Uint8Array(to);
    const patch = encodeBounded(a, b, maxBytes);
    if (!patch) return parentPort.postMessage({ over: true });
    parentPort.postMessage({ patch: patch.buffer, exact: rebuildsExactly(a, patch, b) }, [patch.buffer]);
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
 * Makes a fossil-delta patch from `from` to `to` of at most `maxBytes` in a new worker thread (the event loop, so
 * the gate, never waits for it), which exits once the patch is back: its memory is returned whole. The two buffers
 * are moved to the thread, not copied (they are unusable here afterwards). Rejects after `timeoutMs`.
 */
export function makeDelta(from: Uint8Array, to: Uint8Array, maxBytes: number, timeoutMs: number): DeltaRun {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  let timer: NodeJS.Timeout | undefined;
  let fail: (err: Error) => void = () => {};
  const result = new Promise<DeltaResult>((resolve, reject) => {
    fail = reject;
    timer = setTimeout(() => reject(new Error(`making the patch took longer than ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    timer.unref();
    worker.once('message', (m: { over?: boolean; patch?: ArrayBuffer; exact?: boolean; error?: string }) => {
      if (m.over) resolve({ over: true });
      else if (m.error !== undefined || !m.patch) reject(new Error(m.error ?? 'the patch worker gave no answer'));
      else resolve({ over: false, patch: Buffer.from(m.patch), exact: m.exact === true });
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the patch worker exited (code ${code})`)));
  }).finally(() => {
    clearTimeout(timer);
    void worker.terminate();
  });
  const owned = (b: Uint8Array) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice());
  const a = owned(from);
  const b = owned(to);
  worker.postMessage({ from: a.buffer, to: b.buffer, maxBytes }, [a.buffer as ArrayBuffer, b.buffer as ArrayBuffer]);
  return { result, cancel: () => fail(new Error('the server is stopping')) };
}
