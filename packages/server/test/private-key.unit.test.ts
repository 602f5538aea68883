import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../src/lib/app-error.js';
import { inspectPrivateKey } from '../src/modules/host-apps/private-key.js';
import { sharedKey } from './helpers/keys.js';

/**
 * The host app key's limits without the API (private-key.test.ts has the formats; hostile-input.test.ts sends some
 * of these through the upload): one key per file, at most 8192 bits, an exponent of 65537 or more, and each refusal
 * naming the form field.
 */

const refusal = (pem: string) => {
  try {
    inspectPrivateKey(Buffer.from(pem));
  } catch (err) {
    const e = err as AppError;
    return { code: e.code, detail: e.detail, errors: e.errors };
  }
  throw new Error('the key was accepted');
};

/** A PKCS#1 RSA key of `bits` bits whose parts are random (it parses; its signatures do not verify). */
function randomRsaPem(bits: number): string {
  const big = (bytes: number) => {
    const b = randomBytes(bytes);
    b[0] |= 0x80;
    return b.toString('base64url');
  };
  const half = bits / 16;
  const jwk = {
    kty: 'RSA',
    n: big(bits / 8),
    e: 'AQAB',
    d: big(bits / 8),
    p: big(half),
    q: big(half),
    dp: big(half),
    dq: big(half),
    qi: big(half),
  };
  return createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs1', format: 'pem' }) as string;
}

describe('inspectPrivateKey limits', () => {
  it('refuses a file with two private keys rather than guessing, naming the privateKey field', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const r = refusal(`${sharedKey().pkcs8}\n${other}`);
    const detail =
      'The file holds 2 private keys; which one to use would be a guess. Upload a file with exactly one private key. Upload the PEM file that "openssl genrsa -out private_key.pem 2048" writes.';
    expect(r).toEqual({ code: 'INVALID_PRIVATE_KEY', detail, errors: [{ path: 'privateKey', message: detail }] });
  });

  it('refuses more than 8192 bits, and checks a key of exactly 8192 bits further', () => {
    expect(refusal(randomRsaPem(8320))).toMatchObject({
      code: 'INVALID_PRIVATE_KEY',
      detail: expect.stringMatching(/^The RSA key has 8320 bits; at most 8192 are accepted \(2048 to 4096 is usual\)\./),
    });
    // 8192 bits passes the size rule (this key's made-up parts then fail what comes after it).
    let message = '';
    try {
      inspectPrivateKey(Buffer.from(randomRsaPem(8192)));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toMatch(/at most 8192/);
  });

  it('refuses a public exponent under 65537 with KEY_TOO_WEAK, saying it', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    expect(refusal(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).toMatchObject({
      code: 'KEY_TOO_WEAK',
      detail:
        "The RSA key's public exponent is 3; at least 65537 is required. Make a new key with: openssl genrsa -out private_key.pem 2048",
      errors: [{ path: 'privateKey' }],
    });
  });
});
