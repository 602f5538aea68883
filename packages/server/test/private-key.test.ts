import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inspectPrivateKey } from '../src/modules/host-apps/private-key.js';
import { opensslFixtures, sharedKey } from './helpers/keys.js';

/**
 * The key file rules, case by case (the upload route's tests cover the same rules through the API, with fewer
 * cases): every refusal has its code, and an accepted key is described exactly.
 */
const ossl = opensslFixtures();
const key = sharedKey();

const refusal = (file: string | Buffer) => {
  try {
    inspectPrivateKey(Buffer.from(file));
  } catch (err) {
    return err as { code: string; status: number; detail: string };
  }
  throw new Error('the key was accepted');
};

describe('inspectPrivateKey', () => {
  it.each([
    ['PKCS#8 (openssl genrsa)', ossl.pkcs8, 'pkcs8'],
    ['PKCS#1 (openssl genrsa -traditional)', ossl.pkcs1, 'pkcs1'],
  ])('describes a %s key: format, bits, fingerprint and public key', (_label, pem, format) => {
    const inspected = inspectPrivateKey(Buffer.from(pem));
    const publicKey = createPublicKey(pem);
    expect(inspected.format).toBe(format);
    expect(inspected.bits).toBe(2048);
    expect(inspected.fingerprintSha256).toBe(
      createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
    );
    expect(inspected.publicKeyPem).toBe(publicKey.export({ type: 'spki', format: 'pem' }));
    expect(inspected.pkcs8Pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    // The stored PKCS#8 form is the same key.
    const probe = Buffer.from('x');
    expect(verify('sha256', probe, inspected.publicKeyPem, sign('sha256', probe, inspected.pkcs8Pem))).toBe(true);
  });

  it('takes the private key among other blocks, and text around it', () => {
    const file = `notes from the key ceremony\n${ossl.certificate}\n${key.pkcs8}\ntrailing text\n`;
    expect(inspectPrivateKey(Buffer.from(file)).fingerprintSha256).toBe(createHash('sha256').update(key.spkiDer).digest('hex'));
  });

  it('accepts a key of exactly 16 KiB (padded with text) and refuses one byte more with 413', () => {
    const padded = (size: number) => Buffer.concat([Buffer.from(key.pkcs8), Buffer.alloc(size - key.pkcs8.length, '\n')]);
    expect(inspectPrivateKey(padded(16 * 1024)).bits).toBe(2048);
    expect(refusal(padded(16 * 1024 + 1))).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
      detail: expect.stringMatching(/16 KiB/),
    });
  });

  it.each([
    ['an empty file', '', 'INVALID_PRIVATE_KEY', /empty/],
    ['text without a PEM block', 'just some text', 'INVALID_PRIVATE_KEY', /not a PEM file/],
    ['a public key', () => ossl.publicKey, 'NOT_A_PRIVATE_KEY', /holds a public key/],
    ['a certificate', () => ossl.certificate, 'NOT_A_PRIVATE_KEY', /holds a certificate/],
    ['another kind of block', '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n', 'NOT_A_PRIVATE_KEY', /"X509 CRL" block/],
    ['a passphrase-protected PKCS#8 key', () => ossl.encryptedPkcs8, 'ENCRYPTED_PRIVATE_KEY', /passphrase/],
    ['a passphrase-protected PKCS#1 key', () => ossl.encryptedPkcs1, 'ENCRYPTED_PRIVATE_KEY', /passphrase/],
    ['an EC key', () => ossl.ec, 'UNSUPPORTED_KEY_TYPE', /EC key/],
    ['an Ed25519 key (PKCS#8)', () => ossl.ed25519, 'UNSUPPORTED_KEY_TYPE', /ED25519 key/],
    ['a DSA key block', '-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n', 'UNSUPPORTED_KEY_TYPE', /DSA key/],
    [
      'an OpenSSH key',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
      'INVALID_PRIVATE_KEY',
      /OPENSSH PRIVATE KEY/,
    ],
    ['a damaged PEM', () => key.pkcs8.replace(/[A-Za-z]{20}/, 'A'.repeat(20)), 'INVALID_PRIVATE_KEY', /damaged or truncated/],
    ['an RSA 1024 key', () => ossl.rsa1024, 'KEY_TOO_WEAK', /1024 bits; at least 2048/],
  ])('refuses %s with %s', (_label, file, code, detail) => {
    const err = refusal(typeof file === 'function' ? file() : file);
    expect(err).toMatchObject({ code, status: code === 'PAYLOAD_TOO_LARGE' ? 413 : 400 });
    expect(err.detail).toMatch(detail);
  });

  it('refuses a key whose parts do not belong together (it parses, but its signatures do not verify)', () => {
    const jwk = createPrivateKey(key.pkcs8).export({ format: 'jwk' });
    const inconsistent = createPrivateKey({ key: { ...jwk, e: Buffer.from([1, 0, 3]).toString('base64url') }, format: 'jwk' });
    const pem = inconsistent.export({ type: 'pkcs1', format: 'pem' }) as string;
    expect(refusal(pem)).toMatchObject({ code: 'INVALID_PRIVATE_KEY', detail: expect.stringMatching(/inconsistent/) });
  });

  it('refuses a key whose parts cannot even sign (OpenSSL finds no inverse) as inconsistent, not as a server error', () => {
    const jwk = createPrivateKey(key.pkcs8).export({ format: 'jwk' });
    const even = Buffer.from(jwk.p!, 'base64url');
    even[even.length - 1]! &= 0xfe; // an even prime factor: signing throws ERR_OSSL_BN_NO_INVERSE
    const broken = createPrivateKey({ key: { ...jwk, p: even.toString('base64url') }, format: 'jwk' });
    const pem = broken.export({ type: 'pkcs1', format: 'pem' }) as string;
    expect(refusal(pem)).toMatchObject({ code: 'INVALID_PRIVATE_KEY', status: 400, detail: expect.stringMatching(/inconsistent/) });
  });

  it('refuses an RSA-PSS key as unsupported', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(refusal(pss)).toMatchObject({ code: 'UNSUPPORTED_KEY_TYPE', detail: expect.stringMatching(/RSA-PSS/) });
  });

  it('never quotes the file in a refusal', () => {
    const damaged = key.pkcs8.replace(/[A-Za-z]{20}/, 'A'.repeat(20));
    const err = refusal(damaged);
    for (const line of damaged.split('\n').filter((l) => l.length > 20)) expect(err.detail).not.toContain(line);
  });
});
