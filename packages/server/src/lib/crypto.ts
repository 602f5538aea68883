import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import { promisify } from 'node:util';
import { Semaphore } from './semaphore.js';

const scryptRaw = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;

/**
 * Password hashes run on libuv's thread pool (4 threads by default), which file reads share: a burst of sign-ins
 * would otherwise fill it and stall package downloads for seconds. At most this many hashes run at once (two, or one
 * on a two-core machine so that a core is left for the event loop); the rest wait their turn in memory, leaving the
 * other threads to file I/O.
 */
export const PASSWORD_HASH_CONCURRENCY = Math.max(1, Math.min(2, os.availableParallelism() - 1));
const hashSlots = new Semaphore(PASSWORD_HASH_CONCURRENCY);
const scryptAsync = (password: string, salt: Buffer, keylen: number, options: object) =>
  hashSlots.run(() => scryptRaw(password, salt, keylen, options));
/** Password hashes waiting for a slot: a sign-in refuses to queue behind too many. */
export const passwordHashBacklog = () => hashSlots.waiting;

/** An scrypt cost: N (a power of two), r and p. A hash holds 128 · N · r bytes while it runs; its work is N · r · p. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * The default cost of new password hashes: N = 2^14, r = 8, p = 5, one of the settings OWASP's Password Storage Cheat
 * Sheet lists as equal in strength (N = 2^17 with p = 1 is the same work in 128 MiB). A hash holds 16 MiB while it
 * runs, at most PASSWORD_HASH_CONCURRENCY at once; about 0.2 s of one core. `MPOP_PASSWORD_HASH_COST` sets another.
 * Hashes made with another cost (earlier versions used N = 2^15, p = 1: half the work, 32 MiB) still verify, and a
 * sign-in replaces them (`needsRehash`).
 */
export const DEFAULT_PASSWORD_COST: Readonly<ScryptCost> = { N: 1 << 14, r: 8, p: 5 };
/** What a cost may hold in memory while it runs (new hashes, and stored ones alike). */
export const SCRYPT_MAX_MEMORY = 64 * 1024 * 1024;
const SCRYPT_KEYLEN = 64;
/** Node refuses a hash whose buffers exceed this (scrypt's own 128 · N · r bytes plus a little). */
const SCRYPT_MAXMEM = 2 * SCRYPT_MAX_MEMORY;

export const scryptWork = (c: ScryptCost) => c.N * c.r * c.p;
export const scryptMemory = (c: ScryptCost) => 128 * c.N * c.r;

/**
 * Password hashes at one cost (`scrypt$N$r$p$salt$hash`, base64). A stored hash is checked at the cost it names,
 * but a hash written by anyone but this server (a restored backup, a hand-edited row) must not make a sign-in take a
 * gigabyte or a minute: beyond SCRYPT_MAX_MEMORY, or four times the work of a new hash at the default cost or this
 * one (whichever is more), it matches no password.
 */
export class PasswordHasher {
  private readonly maxWork: number;
  private dummy?: Promise<string>;

  constructor(readonly cost: Readonly<ScryptCost> = DEFAULT_PASSWORD_COST) {
    this.maxWork = 4 * Math.max(scryptWork(DEFAULT_PASSWORD_COST), scryptWork(cost));
  }

  /** A slow salted hash of the password at this hasher's cost. */
  async hash(password: string): Promise<string> {
    const { N, r, p } = this.cost;
    const salt = randomBytes(16);
    const hash = await scryptAsync(password, salt, SCRYPT_KEYLEN, { N, r, p, maxmem: SCRYPT_MAXMEM });
    return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const cost = this.costOf(stored);
    if (!cost) return false;
    const expected = Buffer.from(cost.hash, 'base64');
    if (expected.length < 16 || expected.length > 128) return false;
    const actual = await scryptAsync(password, Buffer.from(cost.salt, 'base64'), expected.length, {
      N: cost.N,
      r: cost.r,
      p: cost.p,
      maxmem: SCRYPT_MAXMEM,
    });
    return timingSafeEqual(expected, actual);
  }

  /** Whether a stored hash was made with another cost than new ones: a sign-in that proved it replaces it. */
  needsRehash(stored: string): boolean {
    const cost = this.costOf(stored);
    return cost !== undefined && (cost.N !== this.cost.N || cost.r !== this.cost.r || cost.p !== this.cost.p);
  }

  /** A hash at this cost, so that an unknown user takes as long to refuse as a wrong password. */
  dummyHash(): Promise<string> {
    this.dummy ??= this.hash(`not-a-real-password-${randomBytes(8).toString('hex')}`);
    return this.dummy;
  }

  /** The cost a stored hash names, when it is a scrypt hash within the bounds. */
  private costOf(stored: string): (ScryptCost & { salt: string; hash: string }) | undefined {
    const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !hash || rest.length > 0) return undefined;
    const cost = { N: Number(n), r: Number(r), p: Number(p) };
    if (![cost.N, cost.r, cost.p].every((x) => Number.isSafeInteger(x) && x >= 1)) return undefined;
    if (cost.N < 2 || (cost.N & (cost.N - 1)) !== 0) return undefined; // scrypt's N is a power of two
    if (scryptMemory(cost) > SCRYPT_MAX_MEMORY || scryptWork(cost) > this.maxWork) return undefined;
    return { ...cost, salt, hash };
  }
}

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** An opaque secret for cookies and API tokens: 256 bits from the CSPRNG. Only its SHA-256 is stored. */
export const newSecret = (prefix = ''): string => prefix + randomBytes(32).toString('base64url');

const HEX = '0123456789ABCDEF';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');

/** A generated host-app APPID: 13 upper-case hex digits, as mPaaS shows them. */
export const newAppId = () => pick(HEX, 13);
/** A generated tenant ID: 8 upper-case letters. */
export const newTenantId = () => pick(UPPER, 8);

/**
 * Envelope for secrets at rest: AES-256-GCM under the master key, with associated data that binds the
 * ciphertext to its owner (a ciphertext copied to another row fails to decrypt).
 * Format: `v1.<iv>.<tag>.<ciphertext>`, base64url parts.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('The master key must be 32 bytes.');
  }

  seal(plaintext: Buffer, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string, aad: string): Buffer {
    const [version, iv, tag, ct] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ct === undefined) throw new Error('Unknown secret envelope.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
  }
}

/** The associated data that binds a sealed private key to its host app. */
export const keyAad = (workspaceId: string, appId: string) => `mpop:host-app-private-key:v1:${workspaceId}:${appId}`;
/** The associated data that binds a webhook's sealed signing secret to it (a secret copied to another row does not open). */
export const webhookSecretAad = (webhookId: string) => `mpop:webhook-secret:v1:${webhookId}`;
