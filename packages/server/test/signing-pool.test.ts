import { createHash, createPrivateKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS_PER_WORKER, SigningPool, signSha256Digest } from '../src/modules/signing/signing-pool.js';
import { rsaKey } from './helpers/keys.js';

const digest = (b: Buffer) => createHash('sha256').update(b).digest();

describe('the signing pool (worker threads)', () => {
  const pool = new SigningPool(2);
  afterAll(() => pool.close());
  const keys = [rsaKey(2048), rsaKey(3072)];
  /** Kept keys `<prefix>-<i>` (the two test keys in turn), and how often each was opened. */
  const countedKeys = (prefix: string) => {
    const opened = new Map<string, number>();
    const cached = (i: number) => ({
      id: `${prefix}-${i}`,
      open: () => {
        opened.set(`${prefix}-${i}`, (opened.get(`${prefix}-${i}`) ?? 0) + 1);
        return keys[i % 2].pkcs8;
      },
    });
    return { opened, cached };
  };

  it('makes exactly the RSASSA-PKCS1-v1_5 / SHA-256 signature of the bytes, from their digest, with a PEM or a KeyObject', async () => {
    const bytes = Buffer.from('a package, or the binding text of one');
    for (const k of keys) {
      for (const key of [k.pkcs8, k.pkcs1, createPrivateKey(k.pkcs8)]) {
        const signature = await pool.sign(key, digest(bytes));
        expect(verify('sha256', bytes, k.publicPem, Buffer.from(signature, 'base64'))).toBe(true);
        // PKCS#1 v1.5 signatures are deterministic: the same as node:crypto's own signing of the whole bytes.
        expect(signature).toBe(sign('sha256', bytes, k.pkcs8).toString('base64'));
        expect(signSha256Digest(key, digest(bytes))).toBe(signature);
        expect(verify('sha256', Buffer.concat([bytes, Buffer.from('!')]), k.publicPem, Buffer.from(signature, 'base64'))).toBe(false);
      }
    }
  });

  it('signs hundreds of digests at once across its workers, each verifiable', async () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ k: keys[i % 2], bytes: Buffer.from(`package ${i}`) }));
    const signatures = await Promise.all(items.map(({ k, bytes }) => pool.sign(k.pkcs8, digest(bytes))));
    for (const [i, { k, bytes }] of items.entries())
      expect(verify('sha256', bytes, k.publicPem, Buffer.from(signatures[i], 'base64'))).toBe(true);
  });

  it('opens and parses a kept key once per thread, however many signatures it makes, and again once a thread let go of it', async () => {
    const own = new SigningPool(2);
    try {
      const { opened, cached } = countedKeys('host');
      // Three rounds of two signatures for each of 20 host apps (a package and a binding, at every release).
      for (let round = 0; round < 3; round++) {
        const items = Array.from({ length: 40 }, (_, i) => ({ i: i % 20, bytes: Buffer.from(`round ${round} item ${i}`) }));
        const signatures = await Promise.all(items.map(({ i, bytes }) => own.sign(cached(i), digest(bytes))));
        for (const [n, { i, bytes }] of items.entries())
          expect(verify('sha256', bytes, keys[i % 2].publicPem, Buffer.from(signatures[n], 'base64'))).toBe(true);
      }
      expect([...opened.values()]).toEqual(Array(20).fill(1));
      // A thread that no longer holds a key (here: the pool's note of it is wrong) is given it again.
      const workers = (own as unknown as { workers: { keys: Map<string, true> }[] }).workers;
      expect(workers).toHaveLength(2);
      const worker = workers.find((w) => w.keys.has('host-0'))!;
      const other = workers.find((w) => w !== worker)!;
      worker.keys.delete('host-0');
      other.keys.set('host-0', true);
      const bytes = Buffer.from('after');
      expect(verify('sha256', bytes, keys[0].publicPem, Buffer.from(await own.sign(cached(0), digest(bytes)), 'base64'))).toBe(true);
      expect(opened.get('host-0')).toBe(2);
      // A key that cannot be opened fails its signature with the opener's error; the others are signed.
      const broken = {
        id: 'broken',
        open: () => {
          throw new Error('cannot open');
        },
      };
      await expect(own.sign(broken, digest(bytes))).rejects.toThrow('cannot open');
      expect(KEYS_PER_WORKER).toBeGreaterThanOrEqual(1000);
    } finally {
      await own.close();
    }
  });

  it('spreads a fan-out over every thread when one thread holds all its keys, each thread parsing a key at most once', async () => {
    const own = new SigningPool(2);
    try {
      const { opened, cached } = countedKeys('app');
      // One signature at a time (as a job signing ahead may ask): the idle first thread is given every key.
      for (let i = 0; i < 40; i++) await own.sign(cached(i), digest(Buffer.from(`ahead ${i}`)));
      const workers = (own as unknown as { workers: { keys: Map<string, true> }[] }).workers;
      expect(workers.map((w) => w.keys.size)).toEqual([40]);
      // A release then signs for all 40 at once: the second thread takes about half, parsing those keys once.
      const items = Array.from({ length: 40 }, (_, i) => Buffer.from(`release ${i}`));
      const signatures = await Promise.all(items.map((bytes, i) => own.sign(cached(i), digest(bytes))));
      for (const [i, bytes] of items.entries())
        expect(verify('sha256', bytes, keys[i % 2].publicPem, Buffer.from(signatures[i], 'base64'))).toBe(true);
      expect(workers).toHaveLength(2);
      expect(workers[1].keys.size).toBeGreaterThanOrEqual(15);
      expect(Math.max(...opened.values())).toBeLessThanOrEqual(2);
      // Again: each thread signs with the keys it holds now, and opens none.
      const before = [...opened.values()].reduce((a, b) => a + b, 0);
      await Promise.all(items.map((bytes, i) => own.sign(cached(i), digest(bytes))));
      expect([...opened.values()].reduce((a, b) => a + b, 0)).toBe(before);
    } finally {
      await own.close();
    }
  });

  it('starts no more threads than its size, each with the heap limit it was given', async () => {
    const small = new SigningPool(1, 16);
    try {
      await Promise.all(Array.from({ length: 64 }, (_, i) => small.sign(keys[0].pkcs8, digest(Buffer.from(`p ${i}`)))));
      const threads = (small as unknown as { workers: { worker: Worker }[] }).workers;
      expect(threads).toHaveLength(1);
      expect(threads[0].worker.resourceLimits).toMatchObject({ maxOldGenerationSizeMb: 16 });
    } finally {
      await small.close();
    }
  });

  it('tells whether it has signatures to make, or had within a given time (background work waits for a fan-out to end)', async () => {
    const own = new SigningPool(1);
    try {
      expect(own.pending).toBe(0);
      expect(own.busyWithin(60_000)).toBe(false);
      const made = Array.from({ length: 20 }, (_, i) => own.sign(keys[0].pkcs8, digest(Buffer.from(`busy ${i}`))));
      expect(own.pending).toBe(20);
      expect(own.busyWithin(0)).toBe(true);
      await Promise.all(made);
      expect(own.pending).toBe(0);
      // Done: not busy now, but it was a moment ago.
      expect(own.busyWithin(0)).toBe(false);
      expect(own.busyWithin(60_000)).toBe(true);
      const started = performance.now();
      await expect.poll(() => own.busyWithin(50), { interval: 10 }).toBe(false);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await own.close();
    }
  });

  it('fails a signature with a bad key or digest without harming the others', async () => {
    const good = pool.sign(keys[0].pkcs8, digest(Buffer.from('x')));
    await expect(pool.sign('not a key', digest(Buffer.from('x')))).rejects.toThrow();
    await expect(pool.sign(keys[0].pkcs8, Buffer.alloc(20))).rejects.toThrow(/32 bytes/);
    expect(verify('sha256', Buffer.from('x'), keys[0].publicPem, Buffer.from(await good, 'base64'))).toBe(true);
  });

  it('leaves the event loop free while it signs', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const d = digest(Buffer.from('big key'));
    // What the same work costs the event loop when done on it.
    const t0 = performance.now();
    for (let i = 0; i < 40; i++) signSha256Digest(privateKey, d);
    const blocking = performance.now() - t0;

    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const start = performance.now();
    await Promise.all(Array.from({ length: 40 }, () => pool.sign(pem, d)));
    const took = performance.now() - start;
    delay.disable();
    const worstStallMs = delay.max / 1e6;
    expect(worstStallMs).toBeLessThan(blocking / 4);
    expect(took).toBeGreaterThan(0);
  });
});
