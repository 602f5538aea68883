import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPackageStore } from '../src/modules/mini-programs/local-package-store.js';
import { Client, devConfigForm, dialects, startApp, userWithRole, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { releasedMiniProgram } from './helpers/packages.js';

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
});
