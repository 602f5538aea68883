import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Change, ChangeBus } from '../src/lib/change-bus.js';
import { PackageSigner } from '../src/modules/signing/package-signer.js';
import { SigningPool } from '../src/modules/signing/signing-pool.js';
import { Client, devConfigForm, dialects, startApp, type TestApp, userWithRole } from './helpers/app.js';
import { rsaKey, sharedKey } from './helpers/keys.js';
import { member, organisation, upload } from './helpers/open-platform.js';
import { holdSigning } from './helpers/hold-signing.js';
import { countViewReads } from './helpers/view-reads.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

/** Host apps, each with its own key: every one needs its own package, binding and manifest signatures. */
const HOST_APPS = 4;

interface Job {
  id: string;
  status: string;
  reasonCode: string;
  reasonParams: Record<string, string>;
  total: number;
  done: number;
}

describe.each(dialects)('signing a version ahead of its release on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  const appIds: string[] = [];
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
    for (let i = 0; i < HOST_APPS; i++) {
      const app = (await admin.post('/api/v1/host-apps', { name: `Ahead ${i}`, workspaceId: 'ahead' })).json();
      const res = await admin.put(
        `/api/v1/host-apps/ahead/${app.appId}/dev-config`,
        devConfigForm('ahead.example.com', rsaKey(2048).pkcs8),
      );
      expect(res.statusCode, res.body).toBe(200);
      appIds.push(app.appId);
    }
  }, 120_000);
  afterAll(() => t.destroy());
  afterEach(() => vi.restoreAllMocks());

  const answer = async (appId: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId: 'ahead', platform: 'android', clientVersion: '10.2.3', miniPrograms: {} },
    });
    expect(res.statusCode).toBe(200);
    return res.json() as { resources: { miniProgramId: string; version: string }[]; manifestSignature: string };
  };
  const versions = async () => (await Promise.all(appIds.map(answer))).map((a) => a.resources.map((r) => r.version).join()).join(' ');
  const jobs = async (): Promise<Job[]> => (await admin.get('/api/v1/signing-jobs')).json().items;
  const bindings = (id: string, version: string) =>
    t.app.db.selectFrom('bindingSignatures').select('hostAppId').where('miniProgramId', '=', id).where('version', '=', version).execute();

  /** A new mini program, authorised for every host app and its 1.0.0.1 released. @returns its ID. */
  const releasedToAll = async (name: string) => {
    const id = (await admin.post('/api/v1/mini-programs', { name })).json().miniProgramId as string;
    expect(
      (await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.1' }, await miniProgramZip()))).statusCode,
    ).toBe(201);
    for (const appId of appIds) expect((await admin.put(`/api/v1/host-apps/ahead/${appId}/mini-programs/${id}`)).statusCode).toBe(200);
    expect((await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.1/release`)).statusCode).toBe(200);
    return id;
  };

  it('signs an uploaded version for every authorised host app, serves nothing new, and its release signs only the manifests', async () => {
    const id = await releasedToAll('Ahead');
    await expect.poll(versions, { timeout: 60_000 }).toBe(appIds.map(() => '1.0.0.1').join(' '));
    const before = await Promise.all(appIds.map(answer));
    const manifests = t.app.services.gate.manifests;
    const manifestsBefore = manifests.signatures;

    // Uploaded where no review is required: it may be released at once, so it is signed now, in the background.
    const up = await admin.post(
      `/api/v1/mini-programs/${id}/packages`,
      packageForm({ version: '1.0.0.2' }, await miniProgramZip('pages/two/index')),
    );
    expect(up.statusCode, up.body).toBe(201);
    await expect
      .poll(async () => (await jobs()).find((j) => j.reasonCode === 'prepare' && j.reasonParams.version === '1.0.0.2'), { timeout: 60_000 })
      .toMatchObject({ status: 'done', total: HOST_APPS, done: HOST_APPS, reasonParams: { miniProgramId: id, version: '1.0.0.2' } });
    expect((await bindings(id, '1.0.0.2')).length).toBe(HOST_APPS);
    // Nothing is served differently: the same answers, the same signed manifests, no manifest signed.
    expect(await Promise.all(appIds.map(answer))).toEqual(before);
    expect(manifests.signatures).toBe(manifestsBefore);

    // The release needs no package or binding signature: only each host app's new manifest is signed.
    let signed = 0;
    const poolSign = SigningPool.prototype.sign;
    vi.spyOn(SigningPool.prototype, 'sign').mockImplementation(function (this: SigningPool, ...args: Parameters<SigningPool['sign']>) {
      signed++;
      return poolSign.apply(this, args);
    });
    // Each host app's view is read once, at once, in a batch (not dropped and read again by its next request).
    const reads = countViewReads();
    const released = await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.2/release`);
    expect(released.statusCode, released.body).toBe(200);
    expect((await jobs()).find((j) => j.reasonCode === 'release' && j.reasonParams.version === '1.0.0.2')).toMatchObject({
      status: 'done',
      total: 0,
    });
    // Read, and their new answers signed, with no request asking: the release refreshed them, and each view's
    // manifest for the request its devices sent before was signed as it was read.
    await expect.poll(() => reads.size, { timeout: 30_000 }).toBe(HOST_APPS);
    await expect.poll(() => manifests.signatures - manifestsBefore, { timeout: 30_000 }).toBe(HOST_APPS);
    await expect.poll(() => signed, { timeout: 30_000 }).toBe(HOST_APPS);
    // The devices' next requests find them signed: nothing more is signed.
    await expect.poll(versions, { timeout: 60_000 }).toBe(appIds.map(() => '1.0.0.2').join(' '));
    expect(manifests.signatures - manifestsBefore).toBe(HOST_APPS);
    expect(signed).toBe(HOST_APPS);
    expect([...reads.values()]).toEqual(appIds.map(() => 1));
  }, 120_000);

  it("fans a release out the same way on an instance that only hears of it (another instance's release)", async () => {
    const id = await releasedToAll('Heard of');
    const versionsOf = async () =>
      (await Promise.all(appIds.map(answer))).map((a) => a.resources.find((r) => r.miniProgramId === id)?.version).join(' ');
    await expect.poll(versionsOf, { timeout: 60_000 }).toBe(appIds.map(() => '1.0.0.1').join(' '));
    expect(
      (
        await admin.post(
          `/api/v1/mini-programs/${id}/packages`,
          packageForm({ version: '1.0.0.2' }, await miniProgramZip('pages/two/index')),
        )
      ).statusCode,
    ).toBe(201);
    await expect
      .poll(async () => (await jobs()).find((j) => j.reasonCode === 'prepare' && j.reasonParams.miniProgramId === id), { timeout: 60_000 })
      .toMatchObject({ status: 'done', done: HOST_APPS });
    // Each view read afresh and asked once, so answered on a miss (as a device's first request after a change is):
    // that answer's shape is what the release signs ahead of the next request.
    for (const appId of appIds) await t.app.services.changes.publish({ kind: 'host-app-gate', workspaceId: 'ahead', appId });
    expect((await Promise.all(appIds.map(answer))).map((a) => a.resources.find((r) => r.miniProgramId === id)?.version)).toEqual(
      appIds.map(() => '1.0.0.1'),
    );

    // This process hears of its own changes only as another instance would: no views kept for the release's job (the
    // change to every view), then the host apps whose signatures exist, in parts.
    const publish = ChangeBus.prototype.publish;
    vi.spyOn(ChangeBus.prototype, 'publish').mockImplementation(async function (
      this: ChangeBus,
      c: Change,
      remote: Change | readonly Change[] = c,
    ) {
      for (const part of Array.isArray(remote) ? remote : [remote]) await publish.call(this, part as Change);
    });
    const reads = countViewReads();
    const manifests = t.app.services.gate.manifests;
    const before = manifests.signatures;
    expect((await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.2/release`)).statusCode).toBe(200);
    // Read again and signed with no request asking, each view once.
    await expect.poll(() => manifests.signatures - before, { timeout: 30_000 }).toBe(HOST_APPS);
    expect([...reads.values()]).toEqual(appIds.map(() => 1));
    await expect.poll(versionsOf, { timeout: 60_000 }).toBe(appIds.map(() => '1.0.0.2').join(' '));
    expect(manifests.signatures - before).toBe(HOST_APPS);
    expect([...reads.values()]).toEqual(appIds.map(() => 1));
  }, 120_000);

  it('signs a version of an organisation that requires review only once it is approved', async () => {
    const orgId = (await organisation(admin)).orgId;
    const dev = await member(admin, orgId, 'developer');
    const operator = await userWithRole(admin, 'operator');
    const id = (await dev.post('/api/v1/mini-programs', { name: 'Reviewed', orgId })).json().miniProgramId as string;
    for (const appId of appIds) expect((await admin.put(`/api/v1/host-apps/ahead/${appId}/mini-programs/${id}`)).statusCode).toBe(200);
    const prepare = vi.spyOn(PackageSigner.prototype, 'prepare');
    expect((await upload(dev, id, '2.0.0.0')).statusCode).toBe(201);
    expect((await dev.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/submit`)).statusCode).toBe(200);
    // Not releasable yet: nothing is signed for it.
    expect(prepare).not.toHaveBeenCalled();
    expect(await bindings(id, '2.0.0.0')).toEqual([]);
    expect((await operator.post(`/api/v1/mini-programs/${id}/packages/2.0.0.0/approve`)).statusCode).toBe(200);
    expect(prepare).toHaveBeenCalledTimes(1);
    expect(prepare.mock.calls[0].slice(0, 2)).toEqual([id, '2.0.0.0']);
    await expect.poll(async () => (await bindings(id, '2.0.0.0')).length, { timeout: 60_000 }).toBe(HOST_APPS);
  }, 120_000);
  it('stops signing ahead when the version is released meanwhile: the release signs the rest, nothing is lost', async () => {
    // More host apps than one batch of the signing job (128), so that the job signing ahead has a batch left.
    const many: string[] = [];
    for (let i = 0; i < 140; i++) {
      const app = (await admin.post('/api/v1/host-apps', { name: `Stop ${i}`, workspaceId: 'stop' })).json();
      expect(
        (await admin.put(`/api/v1/host-apps/stop/${app.appId}/dev-config`, devConfigForm('stop.example.com', sharedKey().pkcs8)))
          .statusCode,
      ).toBe(200);
      many.push(app.appId);
    }
    const id = (await admin.post('/api/v1/mini-programs', { name: 'Stopped ahead' })).json().miniProgramId as string;
    for (const appId of many) expect((await admin.put(`/api/v1/host-apps/stop/${appId}/mini-programs/${id}`)).statusCode).toBe(200);
    // Every signature waits until the release has started its own job.
    const letGo = holdSigning();
    expect(
      (await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '3.0.0.0' }, await miniProgramZip()))).statusCode,
    ).toBe(201);
    // Listed as running by the time the upload is answered (whoever waits for the signing jobs waits for it too).
    expect((await jobs()).find((j) => j.reasonCode === 'prepare' && j.reasonParams.miniProgramId === id)).toMatchObject({
      status: 'running',
      done: 0,
    });
    await expect
      .poll(async () => (await jobs()).find((j) => j.reasonCode === 'prepare' && j.reasonParams.miniProgramId === id))
      .toMatchObject({ status: 'running', total: 140, done: 0 });
    const released = await admin.post(`/api/v1/mini-programs/${id}/packages/3.0.0.0/release`);
    expect(released.statusCode, released.body).toBe(200);
    letGo();
    // The job signing ahead wrote the batch it had in hand and stopped; the release's job signed all it found missing.
    await expect
      .poll(async () => (await jobs()).find((j) => j.reasonCode === 'prepare' && j.reasonParams.miniProgramId === id), { timeout: 60_000 })
      .toMatchObject({ status: 'done', total: 128, done: 128 });
    await expect
      .poll(async () => (await jobs()).find((j) => j.reasonCode === 'release' && j.reasonParams.miniProgramId === id), { timeout: 90_000 })
      .toMatchObject({ status: 'done', total: 140, done: 140 });
    expect((await bindings(id, '3.0.0.0')).length).toBe(140);
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId: many[139], workspaceId: 'stop', platform: 'android', clientVersion: '10.2.3', miniPrograms: {} },
    });
    expect(res.json().resources.map((r: { version: string }) => r.version)).toEqual(['3.0.0.0']);
  }, 180_000);
});
