import os from 'node:os';
import { constants, type KeyObject, privateEncrypt } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/**
 * DER prefix of DigestInfo { AlgorithmIdentifier sha256 (with NULL parameters), OCTET STRING (32 bytes) }
 * (RFC 8017 §9.2, note 1). RSA with PKCS#1 v1.5 (type 1) padding over this prefix and a SHA-256 digest is exactly
 * RSASSA-PKCS1-v1_5 with SHA-256, the signature `crypto.sign('sha256', bytes, key)` makes over the bytes themselves.
 */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * RSASSA-PKCS1-v1_5 / SHA-256 from a digest already computed: the package's SHA-256 is known from its upload, so
 * no signature reads the package again. @returns the signature, base64.
 */
export function signSha256Digest(key: KeyObject | string, digest: Buffer): string {
  if (digest.length !== 32) throw new Error('A SHA-256 digest has 32 bytes.');
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest])).toString('base64');
}

/** Parsed keys each worker keeps, by host app and key fingerprint (an RSA-2048 key object is a few KB). */
export const KEYS_PER_WORKER = 1024;

// The worker's code, evaluated (so the same file works from the TypeScript sources and from dist/).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { constants, createPrivateKey, privateEncrypt } = require('node:crypto');
const PREFIX = Buffer.from('${SHA256_DIGEST_INFO.toString('hex')}', 'hex');
// Parsing a PEM costs about half a signature, and a key signs again and again (package and binding, every release):
// parsed keys are kept, by the id the pool gives them (host app and key fingerprint), the least recently used
// dropped first. A key given as PEM without an id is kept by its text, a few at most.
const byId = new Map();
const byPem = new Map();
function keyOf(task) {
  if (task.id === undefined) {
    if (typeof task.key !== 'string') return task.key;
    let k = byPem.get(task.key);
    if (!k) {
      k = createPrivateKey(task.key);
      if (byPem.size >= 64) byPem.delete(byPem.keys().next().value);
      byPem.set(task.key, k);
    }
    return k;
  }
  let k = byId.get(task.id);
  if (k) byId.delete(task.id);
  else if (task.key !== undefined) k = createPrivateKey(task.key);
  else return undefined;
  byId.set(task.id, k);
  if (byId.size > ${KEYS_PER_WORKER}) byId.delete(byId.keys().next().value);
  return k;
}
parentPort.on('message', ({ id, tasks }) => {
  const results = tasks.map((task) => {
    try {
      const key = keyOf(task);
      if (key === undefined) return { unknownKey: true };
      const data = Buffer.concat([PREFIX, Buffer.from(task.digest)]);
      return { signature: privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, data).toString('base64') };
    } catch (err) {
      return { error: String((err && err.message) || err) };
    }
  });
  parentPort.postMessage({ id, results });
});
`;

/** The name a host app's key is kept under in the signing threads (package, binding and manifest signatures alike). */
export const signingKeyId = (hostAppId: number, keyFingerprint: string) => `${hostAppId}:${keyFingerprint}`;

/**
 * A private key the pool may keep parsed in its workers: `id` names it (host app and key fingerprint), `open` gives
 * its PEM and is called only when the worker that signs does not hold it yet (so a key is opened and parsed once per
 * worker, not once per signature). An error `open` throws fails the signature with that error.
 */
export interface CachedKey {
  id: string;
  open: () => string;
}

interface Task {
  key: KeyObject | string | CachedKey;
  digest: Buffer;
  /** The worker said it no longer holds the key: send its PEM with the next attempt. */
  resend?: boolean;
  resolve: (signature: string) => void;
  reject: (err: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  inFlight: Map<number, Task[]>;
  /** The ids of the keys it holds parsed, least recently used first (as the worker's own list, give or take). */
  keys: Map<string, true>;
}

/** How long the pool is still called busy after its last signature (the gap between a fan-out's batches and more). */
export const SIGNING_QUIET_MS = 1000;

/** Tasks sent to a worker in one message: enough to amortise the message, few enough to spread over workers. */
const BATCH = 16;

/**
 * RSA signatures on worker threads, one per core by default, so a fan-out of thousands of signatures uses every
 * core and leaves the event loop (the gate) free. Workers start on first use and exit when the pool closes; they
 * do not keep the process alive.
 */
export class SigningPool {
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private flushScheduled = false;
  private closed = false;
  /** When the pool last had signatures queued or being made (performance.now()); -Infinity before its first. */
  private lastActiveAt = Number.NEGATIVE_INFINITY;

  constructor(
    /** Worker threads at most (MPOP_SIGNING_THREADS). */
    readonly size = Math.max(1, os.availableParallelism()),
    /** The JavaScript heap each may grow to, in MiB (MPOP_SIGNING_THREAD_HEAP_MB): a thread over it ends, failing its batch. */
    private readonly heapMb = 32,
  ) {}

  /** Signatures queued or being made now. */
  get pending(): number {
    let n = this.queue.length;
    for (const w of this.workers) for (const tasks of w.inFlight.values()) n += tasks.length;
    return n;
  }

  /**
   * Whether the pool has signatures to make now or had some within the last `ms` milliseconds: a fan-out's batches
   * come one after another with the event loop's writes between them, and background work (patches) waits until
   * it is over rather than adding its memory to the fan-out's.
   */
  busyWithin(ms: number): boolean {
    return this.pending > 0 || performance.now() - this.lastActiveAt < ms;
  }

  /** Signs a SHA-256 digest with an RSA private key (PKCS#1 v1.5). @returns the signature, base64. */
  sign(key: KeyObject | string | CachedKey, digest: Buffer): Promise<string> {
    if (this.closed) return Promise.reject(new Error('The signing pool is closed.'));
    if (digest.length !== 32) return Promise.reject(new Error('A SHA-256 digest has 32 bytes.'));
    this.lastActiveAt = performance.now();
    return new Promise((resolve, reject) => {
      this.queue.push({ key, digest, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const failed = new Error('The signing pool closed before the signature was made.');
    for (const t of this.queue.splice(0)) t.reject(failed);
    await Promise.all(
      this.workers.splice(0).map((w) => {
        for (const tasks of w.inFlight.values()) for (const t of tasks) t.reject(failed);
        return w.worker.terminate();
      }),
    );
  }

  /**
   * Hands queued tasks to the workers, in batches: a kept key's signatures to the worker that holds it, the others
   * to the least busy one (which then holds their key).
   */
  private flush() {
    this.flushScheduled = false;
    if (this.closed) return;
    const batches = new Map<PoolWorker, { task: Task; message: { id?: string; key?: KeyObject | string; digest: Buffer } }[]>();
    for (const task of this.queue.splice(0)) {
      let message: { id?: string; key?: KeyObject | string; digest: Buffer };
      let w: PoolWorker;
      const { key } = task;
      if (typeof key === 'object' && 'open' in key) {
        const held = task.resend ? undefined : this.cheapest(key.id, batches);
        if (held?.keys.has(key.id)) {
          w = held;
          held.keys.delete(key.id);
          held.keys.set(key.id, true);
          message = { id: key.id, digest: task.digest };
        } else {
          let pem: string;
          try {
            pem = key.open();
          } catch (err) {
            task.reject(err as Error);
            continue;
          }
          w = held ?? this.leastBusy(batches);
          this.hold(w, key.id);
          message = { id: key.id, key: pem, digest: task.digest };
        }
      } else {
        w = this.leastBusy(batches);
        message = { key, digest: task.digest };
      }
      const list = batches.get(w) ?? [];
      list.push({ task, message });
      batches.set(w, list);
    }
    for (const [w, list] of batches) {
      for (let i = 0; i < list.length; i += BATCH) {
        const part = list.slice(i, i + BATCH);
        const id = this.nextId++;
        w.inFlight.set(
          id,
          part.map((p) => p.task),
        );
        w.worker.postMessage({ id, tasks: part.map((p) => p.message) });
      }
    }
  }

  /** Queues a task again (its worker had let go of its key: it is sent with its PEM this time). */
  private retry(task: Task) {
    this.queue.push(task);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Notes that a worker holds a key (and, past its limit, no longer the one it used least recently). */
  private hold(w: PoolWorker, keyId: string) {
    w.keys.delete(keyId);
    w.keys.set(keyId, true);
    if (w.keys.size > KEYS_PER_WORKER) w.keys.delete(w.keys.keys().next().value!);
  }

  /**
   * Where a kept key's signature goes: the worker with the fewest signatures in flight and about to be sent, counting
   * one more for a worker that would first have to open and parse the key (ties go to one that holds it). So a
   * fan-out whose keys one worker holds (placed there while the others were idle) spreads over every worker, each
   * parsing a key at most once, instead of queueing on that one. A new worker while the pool may grow and all are busy.
   */
  private cheapest(keyId: string, planned: ReadonlyMap<PoolWorker, readonly unknown[]>): PoolWorker {
    let best: PoolWorker | undefined;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const w of this.workers) {
      const holds = w.keys.has(keyId);
      const cost = pendingOf(w, planned) + (holds ? 0 : 1);
      if (cost < bestCost || (cost === bestCost && holds && !best?.keys.has(keyId))) {
        best = w;
        bestCost = cost;
      }
    }
    if (best && (bestCost <= 1 || this.workers.length >= this.size)) return best;
    return this.leastBusy(planned);
  }

  /** The worker with the fewest signatures in flight and about to be sent; a new one while the pool may grow. */
  private leastBusy(planned: ReadonlyMap<PoolWorker, readonly unknown[]>): PoolWorker {
    const pending = (w: PoolWorker) => pendingOf(w, planned);
    const idle = this.workers.find((w) => pending(w) === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((a, b) => (pending(b) < pending(a) ? b : a));
  }

  private spawn(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: Math.max(1, Math.floor(this.heapMb / 8)) },
    });
    worker.unref();
    const w: PoolWorker = { worker, inFlight: new Map(), keys: new Map() };
    worker.on('message', ({ id, results }: { id: number; results: { signature?: string; error?: string; unknownKey?: boolean }[] }) => {
      const tasks = w.inFlight.get(id);
      w.inFlight.delete(id);
      this.lastActiveAt = performance.now();
      tasks?.forEach((t, i) => {
        const r = results[i];
        if (r?.signature) t.resolve(r.signature);
        else if (r?.unknownKey && !t.resend && !this.closed) {
          // It let go of the key: not held there any more, and sent with its PEM next time.
          if (typeof t.key === 'object' && 'open' in t.key) w.keys.delete(t.key.id);
          this.retry({ ...t, resend: true });
        } else t.reject(new Error(r?.error ?? 'The signing worker gave no answer.'));
      });
    });
    // A worker that dies fails its tasks; the next batch starts a new one.
    const fail = (err: Error) => {
      const i = this.workers.indexOf(w);
      if (i >= 0) this.workers.splice(i, 1);
      w.keys.clear();
      for (const tasks of w.inFlight.values()) for (const t of tasks) t.reject(err);
      w.inFlight.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The signing worker exited (code ${code}).`)));
    this.workers.push(w);
    return w;
  }
}

/** A worker's signatures in flight, and those about to be sent to it in the batch being planned. */
function pendingOf(w: PoolWorker, planned: ReadonlyMap<PoolWorker, readonly unknown[]>): number {
  let n = planned.get(w)?.length ?? 0;
  for (const tasks of w.inFlight.values()) n += tasks.length;
  return n;
}
