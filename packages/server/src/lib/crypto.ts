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

// OWASP-recommended scrypt cost (N=2^15, r=8, p=1): ~50-100 ms per hash, which is the point.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 128 * 1024 * 1024 };
const SCRYPT_KEYLEN = 64;

/** Slow salted hash for passwords: `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, SCRYPT_KEYLEN, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(expected, actual);
}

/** A hash with the same cost, so that an unknown user takes as long to refuse as a wrong password. */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = () => (dummyHash ??= hashPassword(`not-a-real-password-${randomBytes(8).toString('hex')}`));

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
