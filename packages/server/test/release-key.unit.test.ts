import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RELEASE_KEY_PEM_MAX } from '@mpop/contracts';
import type { AppError } from '../src/lib/app-error.js';
import { inspectReleaseKey, verifyRelease } from '../src/modules/release-keys/release-key.js';

/**
 * The release key rules case by case, without the API (release-keys.test.ts covers the same rules through it): each
 * limit met exactly and missed by one, each refusal with its code and the field it names.
 */

/** An RSA public key of exactly `bits` bits and exponent `e` (a made-up modulus: inspection never factors it). */
function rsaPublicPem(bits: number, e = 65537, format: 'spki' | 'pkcs1' = 'spki'): string {
  const n = randomBytes(Math.ceil(bits / 8));
  const top = (bits - 1) % 8;
  n[0] = (n[0] & ((1 << top) - 1)) | (1 << top);
  n[n.length - 1] |= 1;
  const eBytes = Buffer.from(e.toString(16).padStart(e.toString(16).length + (e.toString(16).length % 2), '0'), 'hex');
  const key = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: eBytes.toString('base64url') }, format: 'jwk' });
  return key.export({ type: format, format: 'pem' }) as string;
}

const refusal = (pem: string) => {
  try {
    inspectReleaseKey(pem);
  } catch (err) {
    const e = err as AppError;
    return { code: e.code, status: e.status, detail: e.detail, path: e.errors?.[0]?.path };
  }
  throw new Error('the key was accepted');
};

const ed = generateKeyPairSync('ed25519');
const edPublic = ed.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const edPrivate = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPublic = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;

describe('inspectReleaseKey', () => {
  it('describes an Ed25519 key: algorithm, 256 bits, the SPKI fingerprint and PEM', () => {
    expect(inspectReleaseKey(`notes\n${edPublic}\nmore notes`)).toEqual({
      algorithm: 'Ed25519',
      bits: 256,
      fingerprintSha256: createHash('sha256')
        .update(ed.publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex'),
      publicKeyPem: edPublic,
    });
  });

  it('describes an RSA key given as SPKI or PKCS#1, normalised to SPKI', () => {
    const spki = inspectReleaseKey(rsaPublic);
    expect(spki).toMatchObject({ algorithm: 'RSA', bits: 2048, publicKeyPem: rsaPublic });
    const pkcs1 = inspectReleaseKey(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string);
    expect(pkcs1).toEqual(spki);
  });

  it('accepts RSA from 2048 to 8192 bits with an exponent of 65537 or more, and refuses one bit or one less', () => {
    expect(inspectReleaseKey(rsaPublicPem(2048)).bits).toBe(2048);
    expect(inspectReleaseKey(rsaPublicPem(8192)).bits).toBe(8192);
    expect(inspectReleaseKey(rsaPublicPem(2048, 65539)).algorithm).toBe('RSA');
    expect(refusal(rsaPublicPem(2047))).toMatchObject({
      code: 'KEY_TOO_WEAK',
      path: 'pem',
      detail: expect.stringMatching(/^The RSA key has 2047 bits; at least 2048 are required\./),
    });
    expect(refusal(rsaPublicPem(8193))).toMatchObject({
      code: 'RELEASE_KEY_INVALID',
      detail: expect.stringMatching(/^The RSA key has 8193 bits; at most 8192 are accepted/),
    });
    expect(refusal(rsaPublicPem(2048, 65535))).toMatchObject({
      code: 'KEY_TOO_WEAK',
      detail: "The RSA key's public exponent is below 65537; make a new key.",
    });
    expect(refusal(rsaPublicPem(2048, 3)).code).toBe('KEY_TOO_WEAK');
  });

  it('accepts a text of exactly 16 KiB and refuses one byte more with 413', () => {
    const padded = (size: number) => edPublic + ' '.repeat(size - Buffer.byteLength(edPublic));
    expect(inspectReleaseKey(padded(RELEASE_KEY_PEM_MAX)).algorithm).toBe('Ed25519');
    expect(refusal(padded(RELEASE_KEY_PEM_MAX + 1))).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
      path: 'pem',
      detail: 'The key is larger than 16 KiB; a public key PEM is well under 1 KiB.',
    });
    // Counted in bytes, not characters.
    expect(refusal(edPublic + 'é'.repeat((RELEASE_KEY_PEM_MAX - Buffer.byteLength(edPublic)) / 2 + 1)).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a private key in any form or place as such, before anything else, and never quotes it', () => {
    const forms = [
      edPrivate,
      `${edPublic}\n${edPrivate}`,
      rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n',
      // Cut short: no END line, so no whole block; still a private key.
      edPrivate.split('\n').slice(0, 2).join('\n'),
      `${'x'.repeat(10)}-----BEGIN ENCRYPTED PRIVATE KEY-----`,
    ];
    for (const pem of forms) {
      const r = refusal(pem);
      expect(r, pem).toMatchObject({
        code: 'RELEASE_KEY_PRIVATE',
        path: 'pem',
        detail: expect.stringMatching(/^This is a private key, and it was not stored\./),
      });
      expect(r.detail).not.toContain(edPrivate.split('\n')[1]);
    }
  });

  it('refuses what is not one public key with RELEASE_KEY_INVALID, saying what it is', () => {
    expect(refusal('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI me@laptop')).toMatchObject({
      code: 'RELEASE_KEY_INVALID',
      path: 'pem',
      detail:
        'The text is not a PEM key (no "-----BEGIN ...-----" block was found). Paste the public key PEM ("BEGIN PUBLIC KEY") of an Ed25519 or RSA key, as "openssl pkey -in release.key -pubout -out release.pub" writes it.',
    });
    expect(refusal(`${edPublic}${rsaPublic}`).detail).toMatch(/^The text holds 2 PEM blocks; register one key at a time\./);
    const cert = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(refusal(cert)).toMatchObject({
      code: 'RELEASE_KEY_INVALID',
      detail: expect.stringMatching(/^This is a certificate, not a public key/),
    });
    const trusted = '-----BEGIN TRUSTED CERTIFICATE-----\nAAAA\n-----END TRUSTED CERTIFICATE-----\n';
    expect(refusal(trusted).detail).toMatch(/^This is a certificate/);
    const crl = '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n';
    expect(refusal(crl).detail).toMatch(/^A "X509 CRL" block is not a public key\./);
    const damaged = edPublic.replace(/[A-Za-z](?=[^-]*-----END)/, '!');
    expect(refusal(damaged)).toMatchObject({
      code: 'RELEASE_KEY_INVALID',
      detail: expect.stringMatching(/^The public key could not be read: the PEM is damaged or truncated\./),
    });
  });

  it('refuses other key types with UNSUPPORTED_KEY_TYPE, naming the type', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(refusal(ec)).toMatchObject({
      code: 'UNSUPPORTED_KEY_TYPE',
      path: 'pem',
      detail: expect.stringMatching(/^The key is a EC key; release keys are Ed25519 or RSA\./),
    });
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(refusal(pss).detail).toMatch(/^The key is a RSA-PSS key;/);
    const x = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(refusal(x).detail).toMatch(/^The key is a X25519 key;/);
  });
});

describe('verifyRelease', () => {
  const message = 'mpop-release-v1\nMP1\n1.0.0.0\nabc';
  const edKey = { algorithm: 'Ed25519' as const, publicKeyPem: edPublic };
  const rsaKey = { algorithm: 'RSA' as const, publicKeyPem: rsaPublic };
  const edSig = sign(null, Buffer.from(message), ed.privateKey).toString('base64');
  const rsaSig = sign('sha256', Buffer.from(message), rsa.privateKey).toString('base64');

  it('verifies Ed25519 as is and RSA as PKCS#1 v1.5 with SHA-256, over the UTF-8 message', () => {
    expect(verifyRelease(edKey, message, edSig)).toBe(true);
    expect(verifyRelease(rsaKey, message, rsaSig)).toBe(true);
    expect(verifyRelease(rsaKey, message, sign('sha512', Buffer.from(message), rsa.privateKey).toString('base64'))).toBe(false);
    expect(verifyRelease(edKey, `${message}x`, edSig)).toBe(false);
    const utf8 = 'mpop-release-v1\nMP1\n1.0.0.0\né';
    expect(verifyRelease(edKey, utf8, sign(null, Buffer.from(utf8, 'utf8'), ed.privateKey).toString('base64'))).toBe(true);
  });

  it('takes whitespace in the base64, and finds anything else not valid rather than failing', () => {
    expect(verifyRelease(edKey, message, ` ${edSig.slice(0, 40)}\n${edSig.slice(40)} `)).toBe(true);
    expect(verifyRelease(edKey, message, '')).toBe(false);
    expect(verifyRelease(edKey, message, '   ')).toBe(false);
    expect(verifyRelease(edKey, message, edSig.slice(0, -1))).toBe(false);
    expect(verifyRelease(edKey, message, `${edSig.slice(0, -4)}-_==`)).toBe(false);
    expect(verifyRelease(edKey, message, `${edSig.slice(0, 4)}*${edSig.slice(5)}`)).toBe(false);
    expect(verifyRelease(edKey, message, `=${edSig.slice(1)}`)).toBe(false);
    expect(verifyRelease(edKey, message, `${edSig}AAAA`)).toBe(false);
    expect(verifyRelease(edKey, message, rsaSig)).toBe(false);
    expect(verifyRelease({ algorithm: 'RSA', publicKeyPem: 'not a key' }, message, rsaSig)).toBe(false);
  });
});
