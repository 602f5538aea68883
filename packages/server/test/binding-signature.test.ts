import { verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';
import { miniProgramZip, packageForm, releasedMiniProgram } from './helpers/packages.js';

interface Resource {
  miniProgramId: string;
  version: string;
  sha256: string;
  signature: string;
  bindingSignature: string;
  keyFingerprint: string;
}

/** The text a binding signature covers, written out here as the contract states it (not imported from the server). */
const binding = (workspaceId: string, appId: string, r: Pick<Resource, 'miniProgramId' | 'version' | 'sha256'>) =>
  Buffer.from(`mpop-binding-v1\n${workspaceId}\n${appId}\n${r.miniProgramId}\n${r.version}\n${r.sha256}`, 'utf8');

const verifies = (text: Buffer, publicKey: string, signature: string) =>
  verify('sha256', text, publicKey, Buffer.from(signature, 'base64'));

describe.each(dialects)('binding signatures in POST /client/v1/resources on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  const shared = rsaKey(2048);

  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  async function hostApp(name: string, pem = shared.pkcs8) {
    const app = (await admin.post('/api/v1/host-apps', { name, workspaceId: 'bind' })).json();
    expect((await admin.put(`/api/v1/host-apps/bind/${app.appId}/dev-config`, devConfigForm('bind.example.com', pem))).statusCode).toBe(
      200,
    );
    const publicKey = (await admin.get(`/api/v1/host-apps/bind/${app.appId}/dev-config/public-key`)).body;
    return { appId: app.appId as string, publicKey };
  }
  const resources = async (appId: string): Promise<Resource[]> => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId: 'bind', platform: 'android', clientVersion: '10.2.3', miniPrograms: {} },
    });
    expect(res.statusCode).toBe(200);
    return res.json().resources;
  };

  it('signs "mpop-binding-v1\\n<workspaceId>\\n<appId>\\n<miniProgramId>\\n<version>\\n<sha256>" with the host app key', async () => {
    const { appId, publicKey } = await hostApp('Bind One');
    const { id } = await releasedMiniProgram(admin, 'Bound');
    await admin.put(`/api/v1/host-apps/bind/${appId}/mini-programs/${id}`);
    const [r] = await resources(appId);
    expect(r.bindingSignature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(verifies(binding('bind', appId, r), publicKey, r.bindingSignature)).toBe(true);
    // Any other host app, mini program, version or package breaks it; so does a trailing newline.
    expect(verifies(binding('other', appId, r), publicKey, r.bindingSignature)).toBe(false);
    expect(verifies(binding('bind', 'ABCDEF0123456', r), publicKey, r.bindingSignature)).toBe(false);
    expect(verifies(binding('bind', appId, { ...r, miniProgramId: '1234567890123456' }), publicKey, r.bindingSignature)).toBe(false);
    expect(verifies(binding('bind', appId, { ...r, version: '9.9.9.9' }), publicKey, r.bindingSignature)).toBe(false);
    expect(verifies(binding('bind', appId, { ...r, sha256: '0'.repeat(64) }), publicKey, r.bindingSignature)).toBe(false);
    expect(verifies(Buffer.concat([binding('bind', appId, r), Buffer.from('\n')]), publicKey, r.bindingSignature)).toBe(false);
    // The package signature is a different signature, over the bytes.
    expect(r.bindingSignature).not.toBe(r.signature);
  });

  it('gives two host apps sharing one key, and two mini programs sharing one package, different binding signatures', async () => {
    const a = await hostApp('Bind Shared A');
    const b = await hostApp('Bind Shared B');
    const zip = await miniProgramZip('pages/same/same');
    const ids: string[] = [];
    for (const name of ['Same Bytes 1', 'Same Bytes 2']) {
      const id = (await admin.post('/api/v1/mini-programs', { name })).json().miniProgramId as string;
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.0' }, zip))).statusCode).toBe(201);
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).statusCode).toBe(200);
      for (const h of [a, b]) await admin.put(`/api/v1/host-apps/bind/${h.appId}/mini-programs/${id}`);
      ids.push(id);
    }
    const fromA = await resources(a.appId);
    const fromB = await resources(b.appId);
    const all = [...fromA, ...fromB];
    expect(all).toHaveLength(4);
    expect(new Set(all.map((r) => r.signature)).size).toBe(1); // same key, same bytes: one package signature
    expect(new Set(all.map((r) => r.bindingSignature)).size).toBe(4);
    for (const [h, list] of [
      [a, fromA],
      [b, fromB],
    ] as const) {
      for (const r of list) {
        expect(ids).toContain(r.miniProgramId);
        expect(verifies(binding('bind', h.appId, r), h.publicKey, r.bindingSignature)).toBe(true);
      }
    }
    // A's answer for one mini program does not bind under B or under the other mini program.
    const [r0] = fromA;
    const other = ids.find((id) => id !== r0.miniProgramId)!;
    expect(verifies(binding('bind', b.appId, r0), b.publicKey, r0.bindingSignature)).toBe(false);
    expect(verifies(binding('bind', a.appId, { ...r0, miniProgramId: other }), a.publicKey, r0.bindingSignature)).toBe(false);
  });

  it('makes the binding signature at change time and serves the stored one; a key rotation makes a new one', async () => {
    const { appId, publicKey } = await hostApp('Bind Stored', rsaKey(2048).pkcs8);
    const { id } = await releasedMiniProgram(admin, 'Stored');
    await admin.put(`/api/v1/host-apps/bind/${appId}/mini-programs/${id}`);
    const stored = await t.app.db.selectFrom('bindingSignatures').selectAll().where('miniProgramId', '=', id).execute();
    expect(stored).toHaveLength(1);
    const [first] = await resources(appId);
    expect(first.bindingSignature).toBe(stored[0].signature);
    expect((await resources(appId))[0].bindingSignature).toBe(first.bindingSignature);

    const next = rsaKey(2048);
    await admin.put(`/api/v1/host-apps/bind/${appId}/dev-config`, devConfigForm('bind.example.com', next.pkcs8));
    const [rotated] = await resources(appId);
    expect(rotated.keyFingerprint).not.toBe(first.keyFingerprint);
    expect(verifies(binding('bind', appId, rotated), next.publicPem, rotated.bindingSignature)).toBe(true);
    expect(verifies(binding('bind', appId, rotated), publicKey, rotated.bindingSignature)).toBe(false);
    // The old key's binding signatures are gone with it.
    const left = await t.app.db.selectFrom('bindingSignatures').select('keyFingerprint').where('miniProgramId', '=', id).execute();
    expect(left.map((r) => r.keyFingerprint)).toEqual([rotated.keyFingerprint]);
  });

  it('makes a missing binding signature at start-up, then serves the package with it', async () => {
    const { appId, publicKey } = await hostApp('Bind Sweep');
    const { id } = await releasedMiniProgram(admin, 'Sweep Bound');
    await admin.put(`/api/v1/host-apps/bind/${appId}/mini-programs/${id}`);
    // As a job that died leaves it: the binding signature not made, the job still recorded as pending.
    await t.app.db.deleteFrom('bindingSignatures').where('miniProgramId', '=', id).execute();
    await t.app.db.insertInto('signingPending').values({ id: 'died', miniProgramId: id, createdAt: new Date().toISOString() }).execute();
    t = await t.restart();
    admin = new Client(t.app, admin.cookie);
    await expect.poll(async () => (await resources(appId)).length, { timeout: 10_000 }).toBe(1);
    const [r] = await resources(appId);
    expect(verifies(binding('bind', appId, r), publicKey, r.bindingSignature)).toBe(true);
  });
});
