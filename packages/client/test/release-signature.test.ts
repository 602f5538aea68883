import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MpopClient, MpopError, type MpopClientOptions, type MpopConfig, releaseMessage } from '../src/index.js';
import { miniProgramZip, packageForm } from '../../server/test/helpers/packages.js';
import { rsaKey } from '../../server/test/helpers/keys.js';
import { hostAppWithProgram, startKitServer, type KitServer } from './helpers.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fastRetry = { baseDelayMs: 10, maxDelayMs: 50 };

function releaseKeyPair(type: 'ed25519' | 'rsa') {
  const { privateKey, publicKey } =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}
const signFor = (key: KeyObject, id: string, version: string, zip: Buffer) =>
  sign(
    key.asymmetricKeyType === 'ed25519' ? null : 'sha256',
    Buffer.from(releaseMessage({ miniProgramId: id, version, sha256: sha256(zip) })),
    key,
  ).toString('base64');

describe('@mpop/client release signatures, against a real server', () => {
  let kit: KitServer;
  let host: Awaited<ReturnType<typeof hostAppWithProgram>>;
  let config: MpopConfig;
  const ed = releaseKeyPair('ed25519');
  const rsa = releaseKeyPair('rsa');
  const signedIds: Record<'ed' | 'rsa', string> = { ed: '', rsa: '' };

  /** A mini program of the organisation, uploaded with a release signature by `key`, released and authorised. */
  async function signedProgram(orgId: string, name: string, key: KeyObject) {
    const id = (await kit.api('POST', '/api/v1/mini-programs', { name, orgId })).json().miniProgramId as string;
    const zip = await miniProgramZip('pages/index/index', { 'name.txt': name });
    const up = await kit.api(
      'POST',
      `/api/v1/mini-programs/${id}/packages`,
      packageForm({ version: '1.0.0.1', releaseSignature: signFor(key, id, '1.0.0.1', zip) }, zip),
    );
    if (up.statusCode !== 201) throw new Error(`upload failed: ${up.body}`);
    expect((await kit.api('POST', `/api/v1/mini-programs/${id}/packages/1.0.0.1/release`)).statusCode).toBe(200);
    expect((await kit.api('PUT', `/api/v1/host-apps/kit/${host.appId}/mini-programs/${id}`)).statusCode).toBe(200);
    return id;
  }

  beforeAll(async () => {
    kit = await startKitServer();
    // An unsigned mini program of the built-in organisation (no release key).
    host = await hostAppWithProgram(kit, 'Release Host', rsaKey(2048).pkcs8, 'Unsigned');
    const org = (await kit.api('POST', '/api/v1/organisations', { name: 'Signing Vendor' })).json();
    expect((await kit.api('PATCH', `/api/v1/organisations/${org.orgId}`, { reviewRequired: false })).statusCode).toBe(200);
    for (const pem of [ed.publicPem, rsa.publicPem]) {
      expect((await kit.api('POST', `/api/v1/organisations/${org.orgId}/release-keys`, { pem })).statusCode).toBe(201);
    }
    signedIds.ed = await signedProgram(org.orgId, 'Ed signed', ed.privateKey);
    signedIds.rsa = await signedProgram(org.orgId, 'RSA signed', rsa.privateKey);
    config = (await kit.api('GET', `/api/v1/host-apps/kit/${host.appId}/config-file`)).json();
  });
  afterAll(() => kit.close());

  const client = (opts: Partial<MpopClientOptions> = {}) =>
    new MpopClient({
      config,
      deviceId: 'device-rs',
      platform: 'android',
      clientVersion: '10.2.3',
      retry: fastRetry,
      autoReport: false,
      allowHttp: true, // the kit server is plain http on 127.0.0.1
      ...opts,
    });
  /** The resource of one mini program, once the gate hands it out (its host app signature is made in the background). */
  const resourceOf = async (c: MpopClient, id: string) => {
    for (let i = 0; i < 200; i++) {
      const r = (await c.resources({ [id]: '*' })).find((x) => x.miniProgramId === id);
      if (r) return r;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`${id} never served`);
  };
  const rejection = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'expected a rejection').toBeInstanceOf(MpopError);
    return err as MpopError;
  };

  it('a strict client runs packages signed with Ed25519 or RSA release keys of the config file', async () => {
    expect(config.releaseKeys?.map((k) => k.orgId)).toHaveLength(2);
    const strict = client({ requireReleaseSignature: true });
    for (const id of [signedIds.ed, signedIds.rsa]) {
      const r = await resourceOf(strict, id);
      expect(r.releaseKeyFingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect((await strict.download(r)).length).toBe(r.size);
    }
  });

  it('a strict client refuses a package of an organisation without a release key (RELEASE_SIGNATURE); a default client runs it', async () => {
    const strict = client({ requireReleaseSignature: true });
    const r = await resourceOf(strict, host.program.id);
    expect(r.releaseSignature).toBeUndefined();
    expect((await rejection(strict.download(r))).code).toBe('RELEASE_SIGNATURE');
    const lax = client();
    await resourceOf(lax, host.program.id); // its manifest names the package
    expect((await lax.download(r)).length).toBe(r.size);
  });

  it('a strict client built with an older config file (the key not listed) refuses a signed package', async () => {
    const old = client({ requireReleaseSignature: true, config: { ...config, releaseKeys: [] } });
    const err = await rejection(old.download(await resourceOf(old, signedIds.ed)));
    expect(err.code).toBe('RELEASE_SIGNATURE');
    expect(err.message).toMatch(/does not list/);
  });

  it('any client refuses a release signature that does not verify, even without requireReleaseSignature', async () => {
    const c = client();
    const good = await resourceOf(c, signedIds.ed);
    const other = await resourceOf(c, signedIds.rsa);
    // A signature of another package, under this package's key: what a tampered answer would carry.
    const forged = {
      ...good,
      releaseSignature: signFor(releaseKeyPair('ed25519').privateKey, good.miniProgramId, good.version, Buffer.from('x')),
    };
    expect((await rejection(c.download(forged))).code).toBe('RELEASE_SIGNATURE');
    const swapped = { ...good, releaseSignature: other.releaseSignature, releaseKeyFingerprint: other.releaseKeyFingerprint };
    expect((await rejection(c.download(swapped))).code).toBe('RELEASE_SIGNATURE');
    expect((await c.download(good)).length).toBe(good.size);
  });
});
