import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPackageStore } from '../src/modules/mini-programs/local-package-store.js';
import { Client, devConfigForm, dialects, startApp, userWithRole, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { miniProgramZip, packageForm, releasedMiniProgram } from './helpers/packages.js';
import type { Change } from '../src/lib/change-bus.js';
import { INLINE_SIGNATURES } from '../src/modules/signing/package-signer.js';

type Job = { id: string; status: string; reason: string; total: number; done: number; error: string | null };

describe.each(dialects)('signing jobs on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const resources = (appId: string) =>
    t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId: 'sign', platform: 'android', clientVersion: '1.0.0', miniPrograms: {} },
    });

  it('a failed job names its reason; POST /signing-jobs/retry signs what it left, and the package reaches the host app', async () => {
    const app = (await admin.post('/api/v1/host-apps', { name: 'Signed', workspaceId: 'sign' })).json();
    expect(
      (await admin.put(`/api/v1/host-apps/sign/${app.appId}/dev-config`, devConfigForm('sign.example.com', sharedKey().pkcs8))).statusCode,
    ).toBe(200);
    const { id, zip } = await releasedMiniProgram(admin, 'To sign');
    const file = (t.app.packageStore as LocalPackageStore).pathFor(createHash('sha256').update(zip).digest('hex'));
    fs.renameSync(file, `${file}.away`); // the package store lost the file

    const auth = (await admin.put(`/api/v1/host-apps/sign/${app.appId}/mini-programs/${id}`)).json();
    expect(auth.signing).toMatchObject({ status: 'failed', total: 1, done: 0 });
    expect(auth.signing.error).toMatch(/missing from the package store/);
    // The same, for a client that says it in another language.
    expect(auth.signing).toMatchObject({ errorCode: 'package-missing', errorParams: { version: '1.0.0.1' } });
    const listed = ((await admin.get('/api/v1/signing-jobs')).json().items as Job[]).find((j) => j.id === auth.signing.id);
    expect(listed).toMatchObject({
      status: 'failed',
      error: auth.signing.error,
      reason: expect.stringContaining(id),
      reasonCode: 'authorise',
      reasonParams: { miniProgramId: id },
    });
    expect((await resources(app.appId)).json().resources).toEqual([]);

    fs.renameSync(`${file}.away`, file); // restored
    const operator = await userWithRole(admin, 'operator');
    const retry = await operator.post('/api/v1/signing-jobs/retry');
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json()).toMatchObject({
      status: 'done',
      total: 1,
      done: 1,
      error: null,
      errorCode: null,
      errorParams: {},
      reason: expect.stringMatching(/^retry by operator-/),
      reasonCode: 'retry',
      reasonParams: { username: expect.stringMatching(/^operator-/) },
    });
    expect((await admin.get('/api/v1/signing-jobs')).json().items[0].id).toBe(retry.json().id);
    await expect.poll(async () => (await resources(app.appId)).json().resources.length, { timeout: 10_000 }).toBe(1);

    const audit = (await admin.get('/api/v1/audit-events?action=signing.retried')).json();
    expect(audit.items[0]).toMatchObject({ target: `signing-job:${retry.json().id}`, details: { total: 1 } });
  });

  it('never signs a package file whose bytes no longer have the recorded SHA-256 (changed in the store, or by a restore)', async () => {
    const app = (await admin.post('/api/v1/host-apps', { name: 'Altered', workspaceId: 'sign' })).json();
    expect(
      (await admin.put(`/api/v1/host-apps/sign/${app.appId}/dev-config`, devConfigForm('altered.example.com', sharedKey().pkcs8)))
        .statusCode,
    ).toBe(200);
    const { id, zip } = await releasedMiniProgram(admin, 'Altered bytes');
    const file = (t.app.packageStore as LocalPackageStore).pathFor(createHash('sha256').update(zip).digest('hex'));
    const original = fs.readFileSync(file);
    const altered = Buffer.from(original);
    altered[Math.floor(altered.length / 2)] ^= 0x01;
    fs.writeFileSync(file, altered); // same name and size, other bytes

    const auth = (await admin.put(`/api/v1/host-apps/sign/${app.appId}/mini-programs/${id}`)).json();
    expect(auth.signing).toMatchObject({ status: 'failed', total: 1, done: 0 });
    expect(auth.signing.error).toMatch(/does not have the SHA-256 recorded at upload .*it was not signed/);
    expect(auth.signing).toMatchObject({ errorCode: 'package-altered', errorParams: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect((await resources(app.appId)).json().resources).toEqual([]);

    fs.writeFileSync(file, original); // the original put back: signed and served
    expect((await admin.post('/api/v1/signing-jobs/retry')).json()).toMatchObject({ status: 'done', done: 1 });
    await expect.poll(async () => (await resources(app.appId)).json().resources.length, { timeout: 10_000 }).toBe(1);
  });

  it('a retry with nothing missing is an empty, finished job', async () => {
    const retry = (await admin.post('/api/v1/signing-jobs/retry')).json();
    expect(retry).toMatchObject({ status: 'done', total: 0, done: 0 });
  });

  it('a viewer may follow the jobs but not retry them (403)', async () => {
    const viewer = await userWithRole(admin, 'viewer');
    expect((await viewer.get('/api/v1/signing-jobs')).statusCode).toBe(200);
    expect((await viewer.post('/api/v1/signing-jobs/retry')).statusCode).toBe(403);
  });

  const configured = async (name: string) => {
    const app = (await admin.post('/api/v1/host-apps', { name, workspaceId: 'fan' })).json();
    const config = await admin.put(`/api/v1/host-apps/fan/${app.appId}/dev-config`, devConfigForm('fan.example.com', sharedKey().pkcs8));
    expect(config.statusCode).toBe(200);
    return app.appId as string;
  };
  const versionsOf = async (appId: string) =>
    (
      await t.app.inject({
        method: 'POST',
        url: '/client/v1/resources',
        payload: { appId, workspaceId: 'fan', platform: 'android', clientVersion: '1.0.0', miniPrograms: {} },
      })
    )
      .json()
      .resources.map((r: { version: string }) => r.version);

  it('a fan-out in the background tells the gate, batch by batch, which host apps gained signatures (no drop of every view)', async () => {
    const count = INLINE_SIGNATURES + 5;
    const appIds: string[] = [];
    for (let i = 0; i < count; i++) appIds.push(await configured(`Fan ${i}`));
    const mp = (await admin.post('/api/v1/mini-programs', { name: 'Fan-out' })).json();
    const form = packageForm({ version: '2.0.0.0' }, await miniProgramZip());
    expect((await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages`, form)).statusCode).toBe(201);
    for (const appId of appIds)
      expect((await admin.put(`/api/v1/host-apps/fan/${appId}/mini-programs/${mp.miniProgramId}`)).statusCode).toBe(200);

    const seen: Change[] = [];
    t.app.services.changes.onInvalidate((c) => seen.push(c));
    const released = await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages/2.0.0.0/release`);
    expect(released.statusCode, released.body).toBe(200);
    await expect
      .poll(async () => ((await admin.get('/api/v1/signing-jobs')).json().items as Job[]).find((j) => j.total === count)?.status, {
        timeout: 30_000,
      })
      .toBe('done');
    // The release drops every view once; the signatures then name their host apps, a batch at a time.
    expect(seen.filter((c) => c.kind === 'all-gate-views')).toHaveLength(1);
    const named = seen.flatMap((c) => (c.kind === 'signatures-made' ? c.hostApps.map(([, appId]) => appId) : []));
    expect(new Set(named)).toEqual(new Set(appIds));
    for (const appId of appIds) await expect.poll(() => versionsOf(appId), { timeout: 10_000 }).toEqual(['2.0.0.0']);
  });

  it('a view that gained signatures is read again and replaces the cached one; the views of other host apps stay cached', async () => {
    const named = await configured('Named');
    const other = await configured('Other');
    const { id } = await releasedMiniProgram(admin, 'Cached views');
    for (const appId of [named, other]) {
      expect((await admin.put(`/api/v1/host-apps/fan/${appId}/mini-programs/${id}`)).statusCode).toBe(200);
      await expect.poll(() => versionsOf(appId), { timeout: 10_000 }).toEqual(['1.0.0.1']);
    }
    // Their binding signatures vanish from the database behind the gate's back: only a view read again shows it.
    await t.app.db.deleteFrom('bindingSignatures').where('miniProgramId', '=', id).execute();
    const hostApps: [string, string][] = [['fan', named]];
    await t.app.services.changes.publish({ kind: 'signatures-made', hostApps });
    await expect.poll(() => versionsOf(named), { timeout: 10_000 }).toEqual([]);
    expect(await versionsOf(other)).toEqual(['1.0.0.1']);
  });
});
