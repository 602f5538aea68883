import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { MpopError } from '../src/errors.js';
import { ReleaseCheck, releaseMessage } from '../src/release-signature.js';
import type { Resource } from '../src/types.js';
import { bindingMessage, KeyRing, sha256Hex, toHex, verifySignature } from '../src/verify.js';

/**
 * The client's signature checks without a server (client.test.ts and release-signature.test.ts run them against a
 * real one): the key ring's refusals, the signature's edge cases, and every branch of the release check.
 */

const spkiPem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }) as string;
const fingerprint = (k: KeyObject) =>
  createHash('sha256')
    .update(k.export({ type: 'spki', format: 'der' }))
    .digest('hex');

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const rsaEntry = { fingerprintSha256: fingerprint(rsa.publicKey), pem: spkiPem(rsa.publicKey) };

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MpopError);
    return { code: (err as MpopError).code, message: (err as MpopError).message };
  }
  throw new Error('it passed');
};

describe('verify.ts', () => {
  it('writes hex and SHA-256 as the server does', async () => {
    expect(toHex(new Uint8Array([0, 15, 255]))).toBe('000fff');
    expect(toHex(new Uint8Array([1, 2]).buffer)).toBe('0102');
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(createHash('sha256').update('abc').digest('hex'));
  });

  it('says what to do where WebCrypto is missing (INVALID_CONFIG)', async () => {
    vi.stubGlobal('crypto', undefined);
    try {
      expect(await failure(sha256Hex(new Uint8Array([1])))).toEqual({
        code: 'INVALID_CONFIG',
        message: 'WebCrypto (crypto.subtle) is not available: use Node 20 or later, or a page served over https.',
      });
    } finally {
      vi.unstubAllGlobals();
    }
    expect(await sha256Hex(new Uint8Array([1]))).toHaveLength(64);
  });

  it('builds the binding message line by line, without a trailing newline', () => {
    expect(bindingMessage({ workspaceId: 'ws', appId: 'A' }, { miniProgramId: 'MP', version: '1.0.0.0', sha256: 'ab' })).toBe(
      'mpop-binding-v1\nws\nA\nMP\n1.0.0.0\nab',
    );
  });

  it('finds a listed key by fingerprint in any case, once, and refuses one the config does not list', async () => {
    const ring = new KeyRing([rsaEntry]);
    const key = await ring.get(rsaEntry.fingerprintSha256.toUpperCase());
    expect(key.type).toBe('public');
    expect(ring.get(rsaEntry.fingerprintSha256.toUpperCase())).toBe(ring.get(rsaEntry.fingerprintSha256.toUpperCase()));
    expect(await failure(ring.get('ab'.repeat(32)))).toEqual({
      code: 'PACKAGE_SIGNATURE',
      message: `The package is signed with key ${'ab'.repeat(32)}, which the config file does not list; download the config file again after a key rotation.`,
    });
    const upper = new KeyRing([{ ...rsaEntry, fingerprintSha256: rsaEntry.fingerprintSha256.toUpperCase() }]);
    expect((await upper.get(rsaEntry.fingerprintSha256)).type).toBe('public');
  });

  it('refuses a config key that is not an SPKI PEM, does not match its fingerprint, or is not RSA (INVALID_CONFIG)', async () => {
    const notPem = new KeyRing([{ ...rsaEntry, pem: rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string }]);
    expect(await failure(notPem.get(rsaEntry.fingerprintSha256))).toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/is not an SPKI PEM/),
    });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const mismatch = new KeyRing([{ ...rsaEntry, pem: spkiPem(other) }]);
    expect(await failure(mismatch.get(rsaEntry.fingerprintSha256))).toMatchObject({
      code: 'INVALID_CONFIG',
      message: `The config file's key does not match its fingerprint ${rsaEntry.fingerprintSha256}.`,
    });
    const edEntry = { fingerprintSha256: fingerprint(ed.publicKey), pem: spkiPem(ed.publicKey) };
    expect(await failure(new KeyRing([edEntry]).get(edEntry.fingerprintSha256))).toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/is not an RSA public key/),
    });
  });

  it('verifies a base64 RSA signature (whitespace allowed) and finds a missing, empty, malformed or wrong one not valid', async () => {
    const key = await new KeyRing([rsaEntry]).get(rsaEntry.fingerprintSha256);
    const data = new TextEncoder().encode('package bytes');
    const sig = sign('sha256', data, rsa.privateKey).toString('base64');
    expect(await verifySignature(key, sig, data)).toBe(true);
    expect(await verifySignature(key, `${sig.slice(0, 50)}\n ${sig.slice(50)}`, data)).toBe(true);
    expect(await verifySignature(key, sig, new TextEncoder().encode('other bytes'))).toBe(false);
    expect(await verifySignature(key, undefined, data)).toBe(false);
    expect(await verifySignature(key, '', data)).toBe(false);
    expect(await verifySignature(key, '   ', data)).toBe(false);
    expect(await verifySignature(key, '*not base64*', data)).toBe(false);
  });
});

describe('ReleaseCheck', () => {
  const resource = (over: Partial<Resource> = {}): Resource =>
    ({ miniProgramId: 'MP1', version: '1.0.0.0', sha256: 'AB'.repeat(32), ...over }) as Resource;
  const signed = (key: KeyObject, r: Resource, algorithm: string | null) =>
    resource({
      ...r,
      releaseSignature: sign(algorithm, Buffer.from(releaseMessage(r)), key).toString('base64'),
    });
  const edEntry = { orgId: 'org', fingerprintSha256: fingerprint(ed.publicKey), pem: spkiPem(ed.publicKey) };
  const rsaRelease = { orgId: 'org', fingerprintSha256: rsaEntry.fingerprintSha256, pem: rsaEntry.pem };

  it('signs the lower-case sha256 in its message', () => {
    expect(releaseMessage(resource())).toBe(`mpop-release-v1\nMP1\n1.0.0.0\n${'ab'.repeat(32)}`);
  });

  it('passes Ed25519 and RSA signatures by listed keys, the fingerprint in any case', async () => {
    const check = new ReleaseCheck([edEntry, rsaRelease], true);
    const byEd = signed(ed.privateKey, resource({ releaseKeyFingerprint: edEntry.fingerprintSha256.toUpperCase() }), null);
    await expect(check.check(byEd)).resolves.toBeUndefined();
    await expect(check.check(byEd)).resolves.toBeUndefined();
    const byRsa = signed(rsa.privateKey, resource({ releaseKeyFingerprint: rsaRelease.fingerprintSha256 }), 'sha256');
    await expect(check.check(byRsa)).resolves.toBeUndefined();
  });

  it('refuses a signature that does not verify, required or not', async () => {
    for (const required of [true, false]) {
      const check = new ReleaseCheck([edEntry], required);
      const good = signed(ed.privateKey, resource({ releaseKeyFingerprint: edEntry.fingerprintSha256 }), null);
      for (const bad of [
        { ...good, version: '1.0.0.1' },
        { ...good, releaseSignature: Buffer.alloc(64).toString('base64') },
        { ...good, releaseSignature: '*' },
        { ...good, releaseSignature: '====' },
      ]) {
        expect(await failure(check.check(bad))).toEqual({
          code: 'RELEASE_SIGNATURE',
          message: `MP1 ${bad.version} is refused: its release signature does not verify with the release key ${edEntry.fingerprintSha256}.`,
        });
      }
    }
  });

  it('refuses an unsigned package, or one by an unlisted key, only when required', async () => {
    const unsigned = resource();
    const halfSigned = resource({ releaseSignature: 'AAAA' });
    const unlisted = resource({ releaseSignature: 'AAAA', releaseKeyFingerprint: 'cd'.repeat(32) });
    const lenient = new ReleaseCheck([edEntry], false);
    for (const r of [unsigned, halfSigned, resource({ releaseKeyFingerprint: edEntry.fingerprintSha256 }), unlisted]) {
      await expect(lenient.check(r)).resolves.toBeUndefined();
    }
    const strict = new ReleaseCheck([edEntry], true);
    for (const r of [unsigned, halfSigned, resource({ releaseKeyFingerprint: edEntry.fingerprintSha256 })]) {
      expect(await failure(strict.check(r))).toEqual({
        code: 'RELEASE_SIGNATURE',
        message: 'MP1 1.0.0.0 is refused: it carries no release signature, and this app runs only packages their organisation signed.',
      });
    }
    expect(await failure(strict.check(unlisted))).toEqual({
      code: 'RELEASE_SIGNATURE',
      message: `MP1 1.0.0.0 is refused: it is signed with the release key ${'cd'.repeat(32)}, which the config file does not list; download the config file again after a release key is added.`,
    });
  });

  it('refuses a listed release key that is not an SPKI PEM, does not match its fingerprint, or is neither Ed25519 nor RSA', async () => {
    const r = (fp: string) => resource({ releaseSignature: 'AAAA', releaseKeyFingerprint: fp });
    const pkcs1 = { ...rsaRelease, pem: rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string };
    expect(await failure(new ReleaseCheck([pkcs1], false).check(r(pkcs1.fingerprintSha256)))).toEqual({
      code: 'INVALID_CONFIG',
      message: `The config file's release key ${pkcs1.fingerprintSha256} is not an SPKI PEM ("BEGIN PUBLIC KEY").`,
    });
    const mismatch = { ...edEntry, pem: rsaRelease.pem };
    expect(await failure(new ReleaseCheck([mismatch], false).check(r(mismatch.fingerprintSha256)))).toEqual({
      code: 'INVALID_CONFIG',
      message: `The config file's release key does not match its fingerprint ${mismatch.fingerprintSha256}.`,
    });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const ecEntry = { orgId: 'org', fingerprintSha256: fingerprint(ec), pem: spkiPem(ec) };
    expect(await failure(new ReleaseCheck([ecEntry], false).check(r(ecEntry.fingerprintSha256)))).toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringMatching(/is neither Ed25519 nor RSA/),
    });
  });
});
