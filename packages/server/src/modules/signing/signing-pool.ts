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

// The worker's code, evaluated (so the same file works from the TypeScript sources and from dist/).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { constants, createPrivateKey, privateEncrypt } = require('node:crypto');
const PREFIX = Buffer.from('${SHA256_DIGEST_INFO.toString('hex')}', 'hex');
// Parsing a PEM costs about half a signature, and a key signs several things in a row (package, bindings).
const parsed = new Map();
function keyOf(key) {
  if (typeof key !== 'string') return key;
  let k = parsed.get(key);
  if (!k) {
    k = createPrivateKey(key);
    if (parsed.size >= 64) parsed.delete(parsed.keys().next().value);
    parsed.set(key, k);
  }
  return k;
}
parentPort.on('message', ({ id, tasks }) => {
  const results = tasks.map(({ key, digest }) => {
    try {
      const data = Buffer.concat([PREFIX, Buffer.from(digest)]);
      return { signature: privateEncrypt({ key: keyOf(key), padding: constants.RSA_PKCS1_PADDING }, data).toString('base64') };
    } catch (err) {
      return { error: String((err && err.message) || err) };
    }
  });
  parentPort.postMessage({ id, results });
});
`;

interface Task {
  key: KeyObject | string;
  digest: Buffer;
  resolve: (signature: string) => void;
  reject: (err: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  inFlight: Map<number, Task[]>;
}

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

  constructor(
    /** Worker threads at most (MPOP_SIGNING_THREADS). */
    readonly size = Math.max(1, os.availableParallelism()),
    /** The JavaScript heap each may grow to, in MiB (MPOP_SIGNING_THREAD_HEAP_MB): a thread over it ends, failing its batch. */
    private readonly heapMb = 32,
  ) {}

  /** Signs a SHA-256 digest with an RSA private key (PKCS#1 v1.5). @returns the signature, base64. */
  sign(key: KeyObject | string, digest: Buffer): Promise<string> {
    if (this.closed) return Promise.reject(new Error('The signing pool is closed.'));
    if (digest.length !== 32) return Promise.reject(new Error('A SHA-256 digest has 32 bytes.'));
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

  /** Hands queued tasks to the least busy workers, in batches. */
  private flush() {
    this.flushScheduled = false;
    while (this.queue.length > 0 && !this.closed) {
      const w = this.leastBusy();
      const tasks = this.queue.splice(0, BATCH);
      const id = this.nextId++;
      w.inFlight.set(id, tasks);
      w.worker.postMessage({ id, tasks: tasks.map((t) => ({ key: t.key, digest: t.digest })) });
    }
  }

  private leastBusy(): PoolWorker {
    const pending = (w: PoolWorker) => [...w.inFlight.values()].reduce((n, t) => n + t.length, 0);
    const idle = this.workers.find((w) => w.inFlight.size === 0);
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
    const w: PoolWorker = { worker, inFlight: new Map() };
    worker.on('message', ({ id, results }: { id: number; results: { signature?: string; error?: string }[] }) => {
      const tasks = w.inFlight.get(id);
      w.inFlight.delete(id);
      tasks?.forEach((t, i) => {
        const r = results[i];
        if (r?.signature) t.resolve(r.signature);
        else t.reject(new Error(r?.error ?? 'The signing worker gave no answer.'));
      });
    });
    // A worker that dies fails its tasks; the next batch starts a new one.
    const fail = (err: Error) => {
      const i = this.workers.indexOf(w);
      if (i >= 0) this.workers.splice(i, 1);
      for (const tasks of w.inFlight.values()) for (const t of tasks) t.reject(err);
      w.inFlight.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The signing worker exited (code ${code}).`)));
    this.workers.push(w);
    return w;
  }
}
