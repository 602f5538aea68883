import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The worker's code, evaluated (so the same file works from the TypeScript sources and from dist/). It makes the
 * fossil-delta from one package to the other, then applies it to check that it rebuilds the new package exactly,
 * and hands the patch back (its memory moved, not copied).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.fossil).then(({ createDelta, applyDelta }) => {
  parentPort.once('message', ({ from, to }) => {
    try {
      const a = new Uint8Array(from);
      const b = new Uint8Array(to);
      const made = createDelta(a, b);
      const patch = new Uint8Array(made.length);
      patch.set(made);
      const back = applyDelta(a, patch, { verifyChecksum: true });
      const exact = back.length === b.length && Buffer.from(back.buffer, back.byteOffset, back.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
      parentPort.postMessage({ patch: patch.buffer, exact }, [patch.buffer]);
    } catch (err) {
      parentPort.postMessage({ error: String((err && err.message) || err) });
    }
  });
}, (err) => parentPort.postMessage({ error: 'fossil-delta could not be loaded: ' + String(err && err.message) }));
`;

const fossilUrl = () => pathToFileURL(createRequire(import.meta.url).resolve('fossil-delta')).href;

/** A delta being made in its own worker thread; `cancel` ends the thread at once. */
export interface DeltaRun {
  result: Promise<{ patch: Buffer; exact: boolean }>;
  cancel(): void;
}

/**
 * Makes a fossil-delta patch from `from` to `to` in a new worker thread (the event loop, so the gate, never waits
 * for it), which exits once the patch is back: its memory is returned whole. The two buffers are moved to the
 * thread, not copied (they are unusable here afterwards). Rejects after `timeoutMs`.
 */
export function makeDelta(from: Uint8Array, to: Uint8Array, timeoutMs: number): DeltaRun {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { fossil: fossilUrl() } });
  worker.unref();
  let timer: NodeJS.Timeout | undefined;
  let fail: (err: Error) => void = () => {};
  const result = new Promise<{ patch: Buffer; exact: boolean }>((resolve, reject) => {
    fail = reject;
    timer = setTimeout(() => reject(new Error(`making the patch took longer than ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    timer.unref();
    worker.once('message', (m: { patch?: ArrayBuffer; exact?: boolean; error?: string }) => {
      if (m.error !== undefined || !m.patch) reject(new Error(m.error ?? 'the patch worker gave no answer'));
      else resolve({ patch: Buffer.from(m.patch), exact: m.exact === true });
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
  worker.postMessage({ from: a.buffer, to: b.buffer }, [a.buffer as ArrayBuffer, b.buffer as ArrayBuffer]);
  return { result, cancel: () => fail(new Error('the server is stopping')) };
}
