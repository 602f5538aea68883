import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GateRepository } from '../src/modules/gate/gate.repository.js';
import { SigningPool } from '../src/modules/signing/signing-pool.js';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { holdSigning } from './helpers/hold-signing.js';
import { countViewReads } from './helpers/view-reads.js';
import { miniProgramZip, packageForm } from './helpers/packages.js';

/** More than a release signs before it answers (INLINE_SIGNATURES): the job runs in the background. */
const HOST_APPS = 30;

describe.each(dialects)('a release fanned out on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());
  afterEach(() => vi.restoreAllMocks());

  const ask = (appId: string) =>
    t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId: 'fan', platform: 'android', clientVersion: '10.2.3', miniPrograms: {} },
    });
  const versionOf = async (appId: string) => {
    const res = await ask(appId);
    expect(res.statusCode).toBe(200);
    return (res.json().resources as { version: string }[]).map((r) => r.version).join();
  };

  /** HOST_APPS host apps of the workspace `fan`, named `<prefix> <i>`, configured with the shared key. @returns their APPIDs. */
  const configuredHostApps = async (prefix: string) => {
    const appIds: string[] = [];
    for (let i = 0; i < HOST_APPS; i++) {
      const app = (await admin.post('/api/v1/host-apps', { name: `${prefix} ${i}`, workspaceId: 'fan' })).json();
      expect(
        (await admin.put(`/api/v1/host-apps/fan/${app.appId}/dev-config`, devConfigForm('fan.example.com', sharedKey().pkcs8))).statusCode,
      ).toBe(200);
      appIds.push(app.appId);
    }
    return appIds;
  };

  it("reads each host app's gate view once, and signs each one manifest, while the gate keeps answering", async () => {
    const appIds = await configuredHostApps('Fan');
    const id = (await admin.post('/api/v1/mini-programs', { name: 'Fan-out' })).json().miniProgramId as string;
    const release = async (version: string, page: string) => {
      expect(
        (await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, await miniProgramZip(page)))).statusCode,
      ).toBe(201);
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages/${version}/release`)).statusCode).toBe(200);
    };
    await release('1.0.0.1', 'pages/one/index');
    for (const appId of appIds) expect((await admin.put(`/api/v1/host-apps/fan/${appId}/mini-programs/${id}`)).statusCode).toBe(200);
    await expect
      .poll(async () => (await Promise.all(appIds.map(versionOf))).join(' '), { timeout: 60_000 })
      .toBe(appIds.map(() => '1.0.0.1').join(' '));

    // Every view is cached now, as for host apps in use. The next release's package and binding signatures wait
    // until the gate has been asked for every host app after the release was answered.
    const letGo = holdSigning();
    const reads = countViewReads();
    // Every signature names its key (host app and fingerprint): a signing thread that holds it parsed signs at once.
    const keysAsPem: unknown[] = [];
    const poolSign = SigningPool.prototype.sign;
    vi.spyOn(SigningPool.prototype, 'sign').mockImplementation(function (this: SigningPool, key, digest) {
      if (typeof key === 'string') keysAsPem.push(key);
      return poolSign.call(this, key, digest);
    });
    const manifests = t.app.services.gate.manifests;
    const signedBefore = manifests.signatures;

    const patches = t.app.services.patches;
    let deferred = 0;
    patches.onDeferred = () => deferred++;
    const patchStatus = () => t.app.db.selectFrom('packagePatches').select('status').where('toVersion', '=', '1.0.0.2').execute();
    await release('1.0.0.2', 'pages/two/index');
    // Until its signatures exist, a host app is served what it was served before, from its view kept in memory.
    for (const appId of appIds) expect(await versionOf(appId)).toBe('1.0.0.1');
    // The release's patch (from 1.0.0.1) waits while its signing job runs: its worker thread's memory is not added
    // to the fan-out's. It stays queued, free for another instance to take.
    await expect.poll(() => deferred, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await patchStatus()).toEqual([{ status: 'queued' }]);
    for (const appId of appIds) expect(await versionOf(appId)).toBe('1.0.0.1');
    expect(await patchStatus()).toEqual([{ status: 'queued' }]);
    expect(reads.size).toBe(0);
    expect(manifests.signatures).toBe(signedBefore);

    letGo();
    await expect
      .poll(async () => (await Promise.all(appIds.map(versionOf))).join(' '), { timeout: 60_000 })
      .toBe(appIds.map(() => '1.0.0.2').join(' '));
    // Counted now: the patch made later refreshes the views of its mini program (their answers offer it).
    const readCounts = [...reads.values()];
    const signedByRelease = manifests.signatures - signedBefore;
    // Each view was read once, when its signatures were made (not also after the release's change), and each host
    // app's new answer was signed once.
    expect(readCounts).toHaveLength(HOST_APPS);
    expect(readCounts.every((n) => n === 1)).toBe(true);
    expect(signedByRelease).toBe(HOST_APPS);
    expect(keysAsPem).toEqual([]);
    // The patch is made once the signing (the views' manifests included) is over.
    await expect.poll(patchStatus, { timeout: 30_000 }).toEqual([{ status: 'done' }]);
    patches.onDeferred = () => {};
  }, 120_000);

  it('reads a fan-out of views one batch per turn of the event loop, so the gate answers between batches', async () => {
    const order: string[] = [];
    const findHostApps = GateRepository.prototype.findHostApps;
    vi.spyOn(GateRepository.prototype, 'findHostApps').mockImplementation(function (this: GateRepository, refs) {
      order.push(`batch of ${refs.length}`);
      return findHostApps.call(this, refs);
    });
    // 300 host apps that are not listed: their views are read in three batches (128, 128, 44).
    const gate = t.app.services.gate;
    const refused = Array.from({ length: 300 }, (_, i) =>
      gate.answer({ appId: `UNLISTED${i}`, workspaceId: 'fan', platform: 'android', clientVersion: '10.2.3', miniPrograms: {} }).then(
        () => 'answered',
        (err: { code?: string }) => err.code,
      ),
    );
    // What else the event loop has to do meanwhile (a request for a cached view): it runs after the first batch.
    setImmediate(() => order.push('other work'));
    expect(new Set(await Promise.all(refused))).toEqual(new Set(['HOST_APP_NOT_REGISTERED']));
    expect(order).toEqual(['batch of 128', 'other work', 'batch of 128', 'batch of 44']);
  });

  it('a roll-back or a take-down reads every view in use again at once and signs its answer, with no request asking', async () => {
    const appIds = await configuredHostApps('Back');
    // One host app never asked: its view is not in use, and is read only when it is asked for.
    const idle = appIds.pop()!;
    const id = (await admin.post('/api/v1/mini-programs', { name: 'Rolled back' })).json().miniProgramId as string;
    for (const appId of [...appIds, idle])
      expect((await admin.put(`/api/v1/host-apps/fan/${appId}/mini-programs/${id}`)).statusCode).toBe(200);
    for (const [version, page] of [
      ['1.0.0.1', 'pages/one/index'],
      ['1.0.0.2', 'pages/two/index'],
    ]) {
      expect(
        (await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version }, await miniProgramZip(page)))).statusCode,
      ).toBe(201);
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages/${version}/release`)).statusCode).toBe(200);
      await expect
        .poll(async () => (await Promise.all(appIds.map(versionOf))).join(' '), { timeout: 60_000 })
        .toBe(appIds.map(() => version).join(' '));
    }
    // Reads of these host apps' views (other tests' views are read again too, but signed for nothing new).
    const ours = new Set(
      (
        await t.app.db
          .selectFrom('hostApps')
          .select('id')
          .where('appId', 'in', [...appIds, idle])
          .execute()
      ).map((r) => Number(r.id)),
    );
    const reads = countViewReads(ours);
    const manifests = t.app.services.gate.manifests;
    const before = manifests.signatures;
    expect((await admin.post(`/api/v1/mini-programs/${id}/rollback`)).json()).toMatchObject({ version: '1.0.0.1' });
    // Each view in use read once and its answer (a new generation) signed, before any device asks.
    await expect.poll(() => manifests.signatures - before, { timeout: 30_000 }).toBe(appIds.length);
    expect(reads.size).toBe(appIds.length);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    await expect
      .poll(async () => (await Promise.all(appIds.map(versionOf))).join(' '), { timeout: 60_000 })
      .toBe(appIds.map(() => '1.0.0.1').join(' '));
    expect(manifests.signatures - before).toBe(appIds.length);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    // The idle host app is read, and signed for, when it is first asked.
    expect(await versionOf(idle)).toBe('1.0.0.1');
    expect(reads.size).toBe(appIds.length + 1);
    expect(manifests.signatures - before).toBe(appIds.length + 1);

    // A take-down likewise: every view in use (the idle one too, now) read again and its answer signed at once.
    const beforeTakeDown = manifests.signatures;
    expect((await admin.post(`/api/v1/mini-programs/${id}/take-down`)).json()).toMatchObject({ state: 'taken-down' });
    await expect.poll(() => manifests.signatures - beforeTakeDown, { timeout: 30_000 }).toBe(appIds.length + 1);
    expect([...reads.values()].every((n) => n === 2)).toBe(true);
    expect(await versionOf(idle)).toBe('');
    expect(manifests.signatures - beforeTakeDown).toBe(appIds.length + 1);
  }, 120_000);
});
