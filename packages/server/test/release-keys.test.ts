import fs from 'node:fs';
import path from 'node:path';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseMessage } from '@mpop/contracts';
import { Client, dialects, startApp, type TestApp, userWithRole } from './helpers/app.js';
import { configuredHostApp, member, organisation } from './helpers/open-platform.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

/** A release key pair as an organisation makes it (openssl genpkey writes the same keys). */
function releaseKeyPair(type: 'ed25519' | 'rsa', bits = 2048) {
  const { privateKey, publicKey } =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  return {
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    fingerprint: createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const signFor = (key: KeyObject, id: string, version: string, zip: Buffer) =>
  sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', Buffer.from(releaseMessage(id, version, sha256(zip))), key).toString(
    'base64',
  );

/** Every file under a directory whose name starts with `prefix` (the package store names files by their SHA-256). */
function filesNamed(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.startsWith(prefix)) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

describe.each(dialects)('release keys on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let operator: Client;
  let orgId: string;
  let owner: Client & { username: string };
  let dev: Client & { username: string };
  const ed = releaseKeyPair('ed25519');
  const rsa = releaseKeyPair('rsa', 2048);
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
    operator = await userWithRole(admin, 'operator');
    orgId = (await organisation(admin, 'Signed Games')).orgId;
    owner = await member(admin, orgId, 'owner');
    dev = await member(admin, orgId, 'developer');
  });
  afterAll(() => t.destroy());

  const keysUrl = (org = orgId) => `/api/v1/organisations/${org}/release-keys`;
  const newMiniProgram = async (client: Client = dev, org = orgId) => {
    const res = await client.post('/api/v1/mini-programs', { name: `MP ${Math.random().toString(36).slice(2, 8)}`, orgId: org });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().miniProgramId as string;
  };
  const uploadSigned = (client: Client, id: string, version: string, zip: Buffer, releaseSignature?: string) =>
    client.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version, ...(releaseSignature ? { releaseSignature } : {}) }, zip));
  const versions = async (id: string) =>
    (await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items as { version: string; releaseKey: unknown }[];

  describe('POST/GET/DELETE /api/v1/organisations/:orgId/release-keys', () => {
    it('lets an owner register Ed25519 and RSA public keys, lists them to members, and audits each change', async () => {
      const added = await owner.post(keysUrl(), { pem: ed.publicPem });
      expect(added.statusCode, added.body).toBe(201);
      expect(added.json()).toMatchObject({ fingerprintSha256: ed.fingerprint, algorithm: 'Ed25519', bits: 256, createdBy: owner.username });
      expect(added.json().createdAt).toMatch(/Z$/);
      const second = await admin.post(keysUrl(), { pem: rsa.publicPem });
      expect(second.json()).toMatchObject({ fingerprintSha256: rsa.fingerprint, algorithm: 'RSA', bits: 2048 });

      const list = await dev.get(keysUrl());
      expect(list.statusCode).toBe(200);
      expect(list.json().items.map((k: { fingerprintSha256: string }) => k.fingerprintSha256)).toEqual([ed.fingerprint, rsa.fingerprint]);
      expect((await owner.post(keysUrl(), { pem: ed.publicPem })).json().code).toBe('RELEASE_KEY_EXISTS');

      const events = (await admin.get('/api/v1/audit-events?action=organisation.release-key.added&pageSize=10')).json().items;
      expect(events).toHaveLength(2);
      expect(events[1]).toMatchObject({
        actor: owner.username,
        target: `organisation:${orgId}`,
        details: { fingerprintSha256: ed.fingerprint },
      });
    });

    it('refuses a pasted private key without storing or echoing it (RELEASE_KEY_PRIVATE)', async () => {
      const res = await owner.post(keysUrl(), { pem: ed.privatePem });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('RELEASE_KEY_PRIVATE');
      const body = ed.privatePem.split('\n')[1];
      expect(res.body).not.toContain(body);
      expect(t.logs()).not.toContain(body);
      expect((await admin.get('/api/v1/audit-events?pageSize=100')).body).not.toContain(body);
      // An RSA private key with a public key after it is still a private key.
      expect((await owner.post(keysUrl(), { pem: `${rsa.privatePem}\n${rsa.publicPem}` })).json().code).toBe('RELEASE_KEY_PRIVATE');
    });

    it('refuses RSA under 2048 bits, other key types, non-keys and oversized input', async () => {
      const weak = await owner.post(keysUrl(), { pem: releaseKeyPair('rsa', 1024).publicPem });
      expect(weak.statusCode).toBe(400);
      expect(weak.json()).toMatchObject({ code: 'KEY_TOO_WEAK' });
      expect(weak.json().detail).toMatch(/1024 bits; at least 2048/);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
      expect((await owner.post(keysUrl(), { pem: ec })).json().code).toBe('UNSUPPORTED_KEY_TYPE');
      expect((await owner.post(keysUrl(), { pem: 'ssh-ed25519 AAAAC3Nza... me@laptop' })).json().code).toBe('RELEASE_KEY_INVALID');
      const damaged = ed.publicPem.replace(/[A-Za-z](?=[^-]*-----END)/, '!');
      expect((await owner.post(keysUrl(), { pem: damaged })).json().code).toBe('RELEASE_KEY_INVALID');
      const huge = await owner.post(keysUrl(), { pem: 'A'.repeat(40_000) });
      expect([400, 413]).toContain(huge.statusCode);
      expect((await dev.get(keysUrl())).json().items).toHaveLength(2);
    });

    it('lets only owners and admins add or remove keys: developers and operators 403, strangers 404', async () => {
      const other = releaseKeyPair('ed25519');
      expect((await dev.post(keysUrl(), { pem: other.publicPem })).statusCode).toBe(403);
      expect((await operator.post(keysUrl(), { pem: other.publicPem })).statusCode).toBe(403);
      expect((await dev.delete(`${keysUrl()}/${ed.fingerprint}`)).statusCode).toBe(403);
      const strangerOrg = (await organisation(admin)).orgId;
      const stranger = await member(admin, strangerOrg, 'owner', 'stranger');
      expect((await stranger.post(keysUrl(), { pem: other.publicPem })).statusCode).toBe(404);
      expect((await stranger.get(keysUrl())).statusCode).toBe(404);
      expect((await operator.get(keysUrl())).statusCode).toBe(200);
      expect((await dev.get(keysUrl())).json().items).toHaveLength(2);
    });
  });

  describe('uploads of an organisation with release keys', () => {
    it('accepts a package signed with either key, stores the signature, and shows which key signed each version', async () => {
      const id = await newMiniProgram();
      const zip1 = await miniProgramZip('pages/a/a');
      const up1 = await uploadSigned(dev, id, '1.0.0.1', zip1, signFor(ed.privateKey, id, '1.0.0.1', zip1));
      expect(up1.statusCode, up1.body).toBe(201);
      expect(up1.json().releaseKey).toEqual({ fingerprintSha256: ed.fingerprint, registered: true });
      const zip2 = await miniProgramZip('pages/b/b');
      const up2 = await uploadSigned(dev, id, '1.0.0.2', zip2, signFor(rsa.privateKey, id, '1.0.0.2', zip2));
      expect(up2.statusCode, up2.body).toBe(201);
      expect(up2.json().releaseKey).toEqual({ fingerprintSha256: rsa.fingerprint, registered: true });
      const audit = (await admin.get('/api/v1/audit-events?action=mini-program.package.uploaded&pageSize=5')).json().items[0];
      expect(audit.details.releaseKeyFingerprint).toBe(rsa.fingerprint);
    });

    it('refuses a missing, forged, wrong-version or wrong-file signature with 400 RELEASE_SIGNATURE_INVALID and stores nothing', async () => {
      const id = await newMiniProgram();
      const zip = await miniProgramZip('pages/refused/refused');
      const forger = releaseKeyPair('ed25519');
      const otherZip = await miniProgramZip('pages/other/other');
      const cases: [string, string | undefined][] = [
        ['missing', undefined],
        ['forged', signFor(forger.privateKey, id, '1.0.0.1', zip)],
        ['wrong version', signFor(ed.privateKey, id, '1.0.0.2', zip)],
        ['other mini program', signFor(ed.privateKey, '1234567890123456', '1.0.0.1', zip)],
        ['other file', signFor(ed.privateKey, id, '1.0.0.1', otherZip)],
        ['not base64', '%%%not base64%%%'],
      ];
      for (const [what, signature] of cases) {
        const res = await uploadSigned(dev, id, '1.0.0.1', zip, signature);
        expect(res.statusCode, what).toBe(400);
        expect(res.json().code, what).toBe('RELEASE_SIGNATURE_INVALID');
        expect(res.json().detail, what).toMatch(signature ? /does not verify/ : /needs releaseSignature/);
      }
      expect(await versions(id)).toEqual([]);
      expect(filesNamed(t.dataDir, sha256(zip))).toEqual([]);
      // The same upload, signed, then goes through: nothing of the refusals was left in the way.
      expect((await uploadSigned(dev, id, '1.0.0.1', zip, signFor(ed.privateKey, id, '1.0.0.1', zip))).statusCode).toBe(201);
    });

    it('verifies over the canonical version (1.0.0.01 is stored and signed as 1.0.0.1)', async () => {
      const id = await newMiniProgram();
      const zip = await miniProgramZip('pages/c/c');
      const res = await uploadSigned(dev, id, '1.0.0.01', zip, signFor(ed.privateKey, id, '1.0.0.1', zip));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().version).toBe('1.0.0.1');
    });
  });

  describe('organisations without release keys', () => {
    it('accept unsigned uploads (releaseKey null) and refuse a signature nobody can check', async () => {
      const plainOrg = (await organisation(admin)).orgId;
      const id = await newMiniProgram(admin, plainOrg);
      const zip = await miniProgramZip('pages/plain/plain');
      const signed = await uploadSigned(admin, id, '1.0.0.1', zip, signFor(ed.privateKey, id, '1.0.0.1', zip));
      expect(signed.json()).toMatchObject({ code: 'RELEASE_SIGNATURE_INVALID' });
      expect(signed.json().detail).toMatch(/has no release key/);
      const plain = await uploadSigned(admin, id, '1.0.0.1', zip);
      expect(plain.statusCode, plain.body).toBe(201);
      expect(plain.json().releaseKey).toBeNull();
    });

    it('lets an admin give the built-in platform organisation a key, which then binds operators too', async () => {
      const key = releaseKeyPair('ed25519');
      expect((await admin.post(keysUrl('platform'), { pem: key.publicPem })).statusCode).toBe(201);
      const id = (await operator.post('/api/v1/mini-programs', { name: 'Internal signed' })).json().miniProgramId;
      const zip = await miniProgramZip('pages/p/p');
      expect((await uploadSigned(operator, id, '1.0.0.1', zip)).json().code).toBe('RELEASE_SIGNATURE_INVALID');
      expect((await uploadSigned(operator, id, '1.0.0.1', zip, signFor(key.privateKey, id, '1.0.0.1', zip))).statusCode).toBe(201);
      expect((await admin.delete(`${keysUrl('platform')}/${key.fingerprint}`)).statusCode).toBe(204);
      expect((await versions(id))[0].releaseKey).toEqual({ fingerprintSha256: key.fingerprint, registered: false });
      // With no key left, uploads need no signature again.
      expect((await uploadSigned(operator, id, '1.0.0.2', await miniProgramZip('pages/q/q'))).statusCode).toBe(201);
      expect((await admin.get('/api/v1/audit-events?action=organisation.release-key.removed')).json().items[0].details).toEqual({
        fingerprintSha256: key.fingerprint,
      });
      expect((await admin.delete(`${keysUrl('platform')}/${key.fingerprint}`)).statusCode).toBe(404);
    });
  });

  describe('host apps: the gate answer and the config file', () => {
    it('carries releaseSignature and releaseKeyFingerprint on both gate paths, and lists the keys of authorised organisations', async () => {
      const host = await configuredHostApp(admin, 'rk');
      const id = await newMiniProgram();
      const zip = await miniProgramZip('pages/gate/gate');
      const signature = signFor(ed.privateKey, id, '1.0.0.1', zip);
      expect((await uploadSigned(dev, id, '1.0.0.1', zip, signature)).statusCode).toBe(201);
      // Release as an operator (the organisation needs review: submit and approve first).
      expect((await dev.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/submit`)).statusCode).toBe(200);
      expect((await operator.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/approve`)).statusCode).toBe(200);
      expect((await operator.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/release`)).statusCode).toBe(200);

      // Before the authorisation, the config file lists no release key of this organisation.
      const before = (await admin.get(`/api/v1/host-apps/rk/${host.appId}/config-file`)).json();
      expect(before.releaseKeys).toEqual([]);
      expect((await operator.put(`/api/v1/host-apps/rk/${host.appId}/mini-programs/${id}`)).statusCode).toBe(200);
      const config = (await admin.get(`/api/v1/host-apps/rk/${host.appId}/config-file`)).json();
      expect(config.releaseKeys).toEqual([
        { orgId, fingerprintSha256: ed.fingerprint, pem: ed.publicPem },
        { orgId, fingerprintSha256: rsa.fingerprint, pem: rsa.publicPem },
      ]);

      const request = { ...host, platform: 'android', clientVersion: '10.2.3', miniPrograms: {} };
      const expected = { miniProgramId: id, version: '1.0.0.1', releaseSignature: signature, releaseKeyFingerprint: ed.fingerprint };
      // The signing of the new authorisation finishes in the background: wait for the resource to appear.
      let resources: Record<string, unknown>[] = [];
      for (let i = 0; i < 200 && resources.length === 0; i++) {
        resources = (await t.app.inject({ method: 'POST', url: '/client/v1/resources', payload: request })).json().resources;
        if (resources.length === 0) await new Promise((r) => setTimeout(r, 25));
      }
      expect(resources).toEqual([expect.objectContaining(expected)]);

      // Over the network, where the fast path answers from the cached view's prepared bytes.
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/client/v1/resources`;
      for (let i = 0; i < 2; i++) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { resources: unknown[] }).resources).toEqual([expect.objectContaining(expected)]);
      }
    });
  });
});
