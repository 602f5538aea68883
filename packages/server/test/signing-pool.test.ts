import { createHash, createPrivateKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { SigningPool, signSha256Digest } from '../src/modules/signing/signing-pool.js';
import { rsaKey } from './helpers/keys.js';

const digest = (b: Buffer) => createHash('sha256').update(b).digest();

describe('the signing pool (worker threads)', () => {
  const pool = new SigningPool(2);
  afterAll(() => pool.close());
  const keys = [rsaKey(2048), rsaKey(3072)];

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
