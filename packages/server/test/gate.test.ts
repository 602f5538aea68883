import fs from 'node:fs';
import path from 'node:path';
import { createHash, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';
import { makeZip, miniProgramZip, packageForm, releasedMiniProgram } from './helpers/packages.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Files in the package store's staging folders (uploads in progress or left behind). */
const stagedFiles = (dataDir: string) => {
  const staging = path.join(dataDir, 'packages', '.staging');
  return fs.readdirSync(staging).flatMap((d) => fs.readdirSync(path.join(staging, d)));
};

describe.each(dialects)('the run-time gate on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  const key1 = rsaKey(2048);
  const key2 = rsaKey(2048);

  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  async function configuredHostApp(name: string, pem = key1.pkcs8, domain = 'mini.example.com') {
    const app = (await admin.post('/api/v1/host-apps', { name, workspaceId: 'gate' })).json();
    const res = await admin.put(`/api/v1/host-apps/gate/${app.appId}/dev-config`, devConfigForm(domain, pem));
    expect(res.statusCode).toBe(200);
    return app.appId as string;
  }
  const ask = (appId: string, body: Record<string, unknown> = {}, workspaceId = 'gate') =>
    t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId, platform: 'android', clientVersion: '10.2.3', miniPrograms: {}, ...body },
    });
  const download = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: new URL(url).pathname, headers });

  it("hands an authorised host app its released package, signed with its key, verifiable with the console's public key", async () => {
    const appId = await configuredHostApp('Gate Full Path');
    const { id, zip } = await releasedMiniProgram(admin, 'Coupons');
    expect((await ask(appId)).json()).toMatchObject({ resources: [] }); // released but not authorised
    const auth = await admin.put(`/api/v1/host-apps/gate/${appId}/mini-programs/${id}`);
    expect(auth.statusCode).toBe(200);
    expect(auth.json()).toMatchObject({
      miniProgramId: id,
      name: 'Coupons',
      releasedVersion: '1.0.0.1',
      signing: { status: 'done', total: 1, done: 1 },
    });

    const res = await ask(appId, { miniPrograms: { [id]: '*' } });
    expect(res.statusCode).toBe(200);
    const [r] = res.json().resources;
    const config = (await admin.get(`/api/v1/host-apps/gate/${appId}/dev-config`)).json();
    expect(r).toMatchObject({
      miniProgramId: id,
      version: '1.0.0.1',
      sha256: sha256(zip),
      size: zip.length,
      keyFingerprint: config.privateKey.fingerprintSha256,
      vhost: 'mini.example.com',
      mainUrl: '/index.html#pages/index/index',
    });
    expect(r.packageUrl).toBe(`http://mpop.test/client/v1/packages/${sha256(zip)}.zip`);

    const file = await download(r.packageUrl);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(zip)).toBe(true);
    expect(sha256(file.rawPayload)).toBe(r.sha256);
    expect(file.headers.etag).toBe(`"${r.sha256}"`);
    expect(file.headers['content-length']).toBe(String(zip.length));
    expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const publicKey = (await admin.get(`/api/v1/host-apps/gate/${appId}/dev-config/public-key`)).body;
    expect(verify('sha256', file.rawPayload, publicKey, Buffer.from(r.signature, 'base64'))).toBe(true);
    expect(verify('sha256', Buffer.concat([file.rawPayload, Buffer.from('x')]), publicKey, Buffer.from(r.signature, 'base64'))).toBe(false);

    // Rotate the key: the next answer is signed with the new one and names it.
    await admin.put(`/api/v1/host-apps/gate/${appId}/dev-config`, devConfigForm('mini.example.com', key2.pkcs1));
    const [rotated] = (await ask(appId)).json().resources;
    const newPublic = (await admin.get(`/api/v1/host-apps/gate/${appId}/dev-config/public-key`)).body;
    expect(rotated.keyFingerprint).toBe(sha256(key2.spkiDer));
    expect(verify('sha256', zip, newPublic, Buffer.from(rotated.signature, 'base64'))).toBe(true);
    expect(verify('sha256', zip, publicKey, Buffer.from(rotated.signature, 'base64'))).toBe(false);

    // Revoke: missing on the next call. Delete: refused on the next call.
    expect((await admin.delete(`/api/v1/host-apps/gate/${appId}/mini-programs/${id}`)).statusCode).toBe(204);
    expect((await ask(appId)).json().resources).toEqual([]);
    expect((await admin.delete(`/api/v1/host-apps/gate/${appId}`)).statusCode).toBe(204);
    const refused = await ask(appId);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('HOST_APP_NOT_REGISTERED');
  });

  it('serves byte ranges as RFC 9110 says, and answers 304 to a matching If-None-Match', async () => {
    const appId = await configuredHostApp('Gate Ranges');
    const { id, zip } = await releasedMiniProgram(admin, 'Ranges');
    await admin.put(`/api/v1/host-apps/gate/${appId}/mini-programs/${id}`);
    const [r] = (await ask(appId)).json().resources;
    const size = zip.length;
    const part = await download(r.packageUrl, { range: 'bytes=0-9' });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.equals(zip.subarray(0, 10))).toBe(true);
    expect(part.headers['content-range']).toBe(`bytes 0-9/${size}`);
    expect(part.headers['content-length']).toBe('10');
    expect(part.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    const tail = await download(r.packageUrl, { range: `bytes=${size - 5}-` });
    expect(tail.statusCode).toBe(206);
    expect(tail.rawPayload.equals(zip.subarray(size - 5))).toBe(true);
    const clamped = await download(r.packageUrl, { range: `bytes=10-${size * 2}` });
    expect(clamped.headers['content-range']).toBe(`bytes 10-${size - 1}/${size}`);
    expect(clamped.rawPayload.equals(zip.subarray(10))).toBe(true);
    // A suffix longer than the file is the whole file.
    const suffix = await download(r.packageUrl, { range: `bytes=-${size + 1000}` });
    expect(suffix.statusCode).toBe(206);
    expect(suffix.headers['content-range']).toBe(`bytes 0-${size - 1}/${size}`);
    expect(suffix.rawPayload.equals(zip)).toBe(true);
    // Several ranges, another unit or a malformed range: the whole file.
    for (const range of ['bytes=0-1,5-6', 'items=0-1', 'bytes=9-2']) {
      const whole = await download(r.packageUrl, { range });
      expect(whole.statusCode).toBe(200);
      expect(whole.rawPayload.equals(zip)).toBe(true);
    }
    // An If-Range that names another version: the whole file.
    expect((await download(r.packageUrl, { range: 'bytes=0-9', 'if-range': '"other"' })).statusCode).toBe(200);

    for (const range of [`bytes=${size}-`, 'bytes=-0']) {
      const unsatisfiable = await download(r.packageUrl, { range });
      expect(unsatisfiable.statusCode).toBe(416);
      expect(unsatisfiable.headers['content-range']).toBe(`bytes */${size}`);
      expect(unsatisfiable.headers['cache-control']).toBe('no-store');
      expect(unsatisfiable.json().code).toBe('RANGE_NOT_SATISFIABLE');
    }

    const notModified = await download(r.packageUrl, { 'if-none-match': `W/"x", "${r.sha256}"` });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.headers.etag).toBe(`"${r.sha256}"`);
  });

  it('never lets a cache keep an error: a missing package is 404 with no-store, even with If-None-Match', async () => {
    const missing = '0'.repeat(64);
    for (const headers of [{}, { 'if-none-match': `"${missing}"` }, { range: 'bytes=0-1' }]) {
      const res = await t.app.inject({ method: 'GET', url: `/client/v1/packages/${missing}.zip`, headers });
      expect(res.statusCode).toBe(404);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.etag).toBeUndefined();
      expect(res.json().code).toBe('NOT_FOUND');
    }
  });

  it('gives the newly released version after a new release', async () => {
    const appId = await configuredHostApp('Gate Versions');
    const { id } = await releasedMiniProgram(admin, 'Versions');
    await admin.put(`/api/v1/host-apps/gate/${appId}/mini-programs/${id}`);
    const zip2 = await miniProgramZip('pages/home/home');
    expect((await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.2' }, zip2))).statusCode).toBe(201);
    expect((await ask(appId)).json().resources[0].version).toBe('1.0.0.1');
    const rel = await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.2/release`);
    expect(rel.json()).toMatchObject({
      version: '1.0.0.2',
      previousVersion: '1.0.0.1',
      state: 'complete',
      percent: 100,
      signing: { state: 'signed', total: 1, done: 1 },
    });
    const [r] = (await ask(appId)).json().resources;
    expect(r).toMatchObject({ version: '1.0.0.2', sha256: sha256(zip2), mainUrl: '/index.html#pages/home/home' });
    const versions = (await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items;
    expect(versions.map((v: { version: string; status: string }) => [v.version, v.status])).toEqual([
      ['1.0.0.2', 'released'],
      ['1.0.0.1', 'uploaded'],
    ]);
  });

  it('leaves out packages outside the client version range or for another platform', async () => {
    const appId = await configuredHostApp('Gate Ranges Filter');
    const ranged = await releasedMiniProgram(admin, 'Ranged', '2.0.0.0', { clientVersionMin: '10.2', clientVersionMax: '10.5.0' });
    const iosOnly = await releasedMiniProgram(admin, 'iOS only', '1.0.0.0', { platform: 'ios' });
    for (const id of [ranged.id, iosOnly.id]) await admin.put(`/api/v1/host-apps/gate/${appId}/mini-programs/${id}`);
    const ids = async (body: Record<string, unknown>) =>
      (await ask(appId, body))
        .json()
        .resources.map((r: { miniProgramId: string }) => r.miniProgramId)
        .sort();
    expect(await ids({ clientVersion: '10.2.3', platform: 'android' })).toEqual([ranged.id]);
    expect(await ids({ clientVersion: '10.1.9', platform: 'android' })).toEqual([]);
    expect(await ids({ clientVersion: '10.5.1', platform: 'ios' })).toEqual([iosOnly.id]);
    expect(await ids({ clientVersion: '10.5', platform: 'ios' })).toEqual([ranged.id, iosOnly.id].sort());
    expect(await ids({ clientVersion: '10.3', platform: 'ios', miniPrograms: { [iosOnly.id]: '0.9.0.0' } })).toEqual([iosOnly.id]);
  });

  it('refuses unknown and unconfigured host apps with 403 problems', async () => {
    const unknown = await ask('ABCDEF0123456');
    expect(unknown.statusCode).toBe(403);
    expect(unknown.json()).toMatchObject({ code: 'HOST_APP_NOT_REGISTERED' });
    const bare = (await admin.post('/api/v1/host-apps', { name: 'Gate Bare', workspaceId: 'gate' })).json();
    const unconfigured = await ask(bare.appId);
    expect(unconfigured.statusCode).toBe(403);
    expect(unconfigured.json()).toMatchObject({ code: 'HOST_APP_NOT_CONFIGURED' });
    expect(unconfigured.headers['content-type']).toContain('application/problem+json');
    // Configuring it opens the gate at once (the cached refusal is dropped).
    await admin.put(`/api/v1/host-apps/gate/${bare.appId}/dev-config`, devConfigForm('bare.example.com', key1.pkcs8));
    expect((await ask(bare.appId)).statusCode).toBe(200);
  });

  it.each([
    ['an unknown platform', { platform: 'windows' }],
    ['a malformed client version', { clientVersion: '10.x' }],
    ['a malformed mini program ID', { miniPrograms: { abc: '*' } }],
    [
      '10,000 IDs',
      { miniPrograms: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [String(1_000_000_000_000_000 + i), '*'])) },
    ],
    ['an unknown field', { extra: true }],
  ])('answers 400 to %s', async (_label, body) => {
    const appId = await configuredHostApp(`Gate Bad ${_label}`);
    const res = await ask(appId, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  describe('packages', () => {
    let id: string;
    beforeAll(async () => {
      id = (await admin.post('/api/v1/mini-programs', { name: 'Packages' })).json().miniProgramId;
    });
    const storedFiles = () => {
      const root = path.join(t.dataDir, 'packages');
      return fs.readdirSync(root, { recursive: true }).filter((f) => String(f).endsWith('.zip')).length;
    };
    const tmpFiles = () => stagedFiles(t.dataDir).length;

    it.each([
      ['not a zip', () => Promise.resolve(Buffer.from('this is not a zip file at all')), 'INVALID_PACKAGE', /not a zip/],
      ['a zip without app.json', () => makeZip({ 'index.html': '<p>' }), 'INVALID_PACKAGE', /no app.json/],
      [
        'an app.json whose pages are not a list of paths',
        () => makeZip({ 'app.json': '{"pages":"index"}' }),
        'INVALID_PACKAGE',
        /must be a list of page paths/,
      ],
      ['an app.json that is not an object', () => makeZip({ 'app.json': '["pages/index"]' }), 'INVALID_PACKAGE', /JSON object/],
      ['an app.json that is not JSON', () => makeZip({ 'app.json': '{pages' }), 'INVALID_PACKAGE', /not valid JSON/],
      ['an empty file', () => Promise.resolve(Buffer.alloc(0)), 'INVALID_PACKAGE', /empty/],
    ])('rejects %s with 400 and stores nothing', async (_label, zip, code, detail) => {
      const before = storedFiles();
      const res = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '9.0.0.1' }, await zip()));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe(code);
      expect(res.json().detail).toMatch(detail);
      expect(storedFiles()).toBe(before);
      expect(tmpFiles()).toBe(0);
      expect((await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items).toEqual([]);
    });

    it.each([
      [{ version: '1.0.0' }, 'version'],
      [{ version: '1.0.0.1', platform: 'windows' }, 'platform'],
      [{ version: '1.0.0.1', clientVersionMin: 'ten' }, 'clientVersionMin'],
    ])('rejects the form %j with VALIDATION_FAILED naming %s', async (fields, field) => {
      const res = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm(fields, await miniProgramZip()));
      expect(res.statusCode).toBe(400);
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(field);
      expect(tmpFiles()).toBe(0);
    });

    it('opens a package whose app.json lists no pages at its index.html', async () => {
      const res = await admin.post(
        `/api/v1/mini-programs/${id}/packages`,
        packageForm({ version: '0.0.0.1' }, await makeZip({ 'app.json': '{"window":{}}', 'index.html': '<p>' })),
      );
      expect(res.statusCode).toBe(201);
      expect(res.json().mainUrl).toBe('/index.html');
    });

    it('rejects a duplicate version with 409 VERSION_EXISTS and keeps the first', async () => {
      const first = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '3.0.0.1' }, await miniProgramZip()));
      expect(first.statusCode).toBe(201);
      expect(first.json()).toMatchObject({ version: '3.0.0.1', status: 'uploaded', mainUrl: '/index.html#pages/index/index' });
      const dup = await admin.post(
        `/api/v1/mini-programs/${id}/packages`,
        packageForm({ version: '3.0.0.1' }, await miniProgramZip('pages/other/other')),
      );
      expect(dup.statusCode).toBe(409);
      expect(dup.json().code).toBe('VERSION_EXISTS');
      const versions = (await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items;
      const kept = versions.filter((v: { version: string }) => v.version === '3.0.0.1');
      expect(kept).toHaveLength(1);
      expect(kept[0].sha256).toBe(first.json().sha256);
      expect(tmpFiles()).toBe(0);
    });

    it('answers 404 for an unknown mini program and version', async () => {
      expect(
        (await admin.post('/api/v1/mini-programs/1234567890123456/packages', packageForm({ version: '1.0.0.1' }, await miniProgramZip())))
          .statusCode,
      ).toBe(404);
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages/7.7.7.7/release`)).statusCode).toBe(404);
    });
  });

  describe('mini program IDs', () => {
    it('generates 16 digits that never start with 666 or 20000', async () => {
      for (let i = 0; i < 10; i++) {
        const mp = (await admin.post('/api/v1/mini-programs', { name: `Gen ${i}` })).json();
        expect(mp.miniProgramId).toMatch(/^[0-9]{16}$/);
        expect(mp.miniProgramId).not.toMatch(/^(666|20000)/);
      }
    });

    it.each(['6660000000000001', '2000012345678901'])('refuses the reserved ID %s', async (miniProgramId) => {
      const res = await admin.post('/api/v1/mini-programs', { name: 'Reserved', miniProgramId });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].path).toBe('miniProgramId');
    });

    it('takes a chosen ID once (409 MINI_PROGRAM_EXISTS after)', async () => {
      expect((await admin.post('/api/v1/mini-programs', { name: 'Chosen', miniProgramId: '1111222233334444' })).statusCode).toBe(201);
      const dup = await admin.post('/api/v1/mini-programs', { name: 'Chosen again', miniProgramId: '1111222233334444' });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().code).toBe('MINI_PROGRAM_EXISTS');
    });

    it('takes a name of 64 characters once trimmed, and refuses 65 with VALIDATION_FAILED naming name, storing nothing', async () => {
      const ok = await admin.post('/api/v1/mini-programs', { name: `  ${'名'.repeat(64)}  ` });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().name).toBe('名'.repeat(64));
      const before = (await admin.get('/api/v1/mini-programs')).json().items.length;
      const long = await admin.post('/api/v1/mini-programs', { name: 'n'.repeat(65) });
      expect(long.statusCode).toBe(400);
      expect(long.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'name' }] });
      expect(long.json().detail).toContain('at most 64 characters');
      expect((await admin.get('/api/v1/mini-programs')).json().items).toHaveLength(before);
    });
  });

  it('makes missing signatures at start-up (a process that died mid-job leaves none unmade)', async () => {
    const appId = await configuredHostApp('Gate Restart Sweep');
    const { id } = await releasedMiniProgram(admin, 'Sweep');
    await admin.put(`/api/v1/host-apps/gate/${appId}/mini-programs/${id}`);
    expect((await ask(appId)).json().resources).toHaveLength(1);
    // As a process that stopped mid-job leaves it: the signatures not made, the job still recorded as pending.
    await t.app.db.deleteFrom('packageSignatures').execute();
    await t.app.db
      .insertInto('signingPending')
      .values({ id: 'crashed-job', miniProgramId: id, createdAt: new Date().toISOString() })
      .execute();
    t = await t.restart();
    admin = new Client(t.app, admin.cookie);
    await expect.poll(async () => (await ask(appId)).json().resources.length, { timeout: 10_000 }).toBe(1);
    const jobs = (await admin.get('/api/v1/signing-jobs')).json().items;
    expect(jobs.some((j: { reason: string; done: number }) => j.reason === 'start-up check' && j.done >= 1)).toBe(true);
  });

  it('signs at the next start a change committed before its signing job began (the process stopped in between)', async () => {
    const appId = await configuredHostApp('Gate Stopped Before Signing');
    const { id } = await releasedMiniProgram(admin, 'Stopped');
    // The process stops right after each change commits: its signing job never starts.
    const signer = t.app.services.signer;
    const signMissing = signer.signMissing;
    const prepare = signer.prepare;
    signer.signMissing = async () => {
      throw new Error('stopped before signing');
    };
    // Nor does it sign the uploaded version ahead of its release.
    signer.prepare = async () => {};
    try {
      expect((await admin.put(`/api/v1/host-apps/gate/${appId}/mini-programs/${id}`)).statusCode).toBe(500);
      await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.2' }, await miniProgramZip()));
      expect((await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.2/release`)).statusCode).toBe(500);
    } finally {
      signer.signMissing = signMissing;
      signer.prepare = prepare;
    }
    // Committed, never signed: the host app's binding to either version has no signature yet.
    expect(await t.app.db.selectFrom('bindingSignatures').select('version').where('miniProgramId', '=', id).execute()).toEqual([]);
    expect((await ask(appId)).json().resources).toHaveLength(0);
    t = await t.restart();
    admin = new Client(t.app, admin.cookie);
    await expect
      .poll(async () => (await ask(appId)).json().resources.map((r: { version: string }) => r.version), { timeout: 20_000 })
      .toEqual(['1.0.0.2']);
    // The jobs that did it leave no row once they end (just after their last signatures are served).
    await expect.poll(() => t.app.db.selectFrom('signingPending').select('id').execute()).toEqual([]);
  });

  it('signs large fan-outs in the background with progress, then serves every host app', async () => {
    const appIds: string[] = [];
    for (let i = 0; i < 24; i++) appIds.push(await configuredHostApp(`Fan ${i}`, rsaKey(2048).pkcs8, `fan${i}.example.com`));
    const mp = (await admin.post('/api/v1/mini-programs', { name: 'Fan-out' })).json();
    await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages`, packageForm({ version: '1.0.0.0' }, await miniProgramZip()));
    for (const appId of appIds) await admin.put(`/api/v1/host-apps/gate/${appId}/mini-programs/${mp.miniProgramId}`);
    const rel = (await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages/1.0.0.0/release`)).json();
    expect(rel.signing).toMatchObject({ state: 'pending', total: 24 });
    const job = (await admin.get('/api/v1/signing-jobs')).json().items.find((j: { reason: string }) => j.reason.includes(mp.miniProgramId));
    expect(job).toMatchObject({ total: 24 });
    await expect
      .poll(async () => (await admin.get(`/api/v1/mini-programs/${mp.miniProgramId}/releases`)).json().items[0].signing, {
        timeout: 90_000,
      })
      .toEqual({ state: 'signed', reason: null, total: 24, done: 24 });
    // The job ends just after its last batch is served (the release may show it signed a moment before).
    await expect
      .poll(async () => (await admin.get('/api/v1/signing-jobs')).json().items.find((j: { id: string }) => j.id === job.id))
      .toMatchObject({ status: 'done', total: 24, done: 24 });
    for (const appId of appIds) expect((await ask(appId)).json().resources).toHaveLength(1);
  }, 180_000); // 24 key pairs and 48 signatures: slow on a busy 2-core machine, and nothing here waits on a fixed delay
});

describe('client API limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { MPOP_MAX_PACKAGE_BYTES: '4096' });
  });
  afterAll(() => t.destroy());

  it('answers 413 to a package over MPOP_MAX_PACKAGE_BYTES and stores nothing', async () => {
    const admin = await Client.signIn(t.app);
    const id = (await admin.post('/api/v1/mini-programs', { name: 'Big' })).json().miniProgramId;
    const { randomBytes } = await import('node:crypto');
    const big = await makeZip({ 'app.json': '{"pages":["a"]}', 'blob.bin': randomBytes(16 * 1024) });
    const res = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.0' }, big));
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
    expect(stagedFiles(t.dataDir)).toEqual([]);
    expect(fs.readdirSync(path.join(t.dataDir, 'packages'), { recursive: true }).filter((f) => String(f).endsWith('.zip'))).toEqual([]);
    expect((await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items).toEqual([]);
  });

  it('answers 413 to a client request body over 512 KiB', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      remoteAddress: '10.9.9.10',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        appId: 'A',
        workspaceId: 'w',
        platform: 'ios',
        clientVersion: '1',
        miniPrograms: {},
        pad: 'x'.repeat(600_000),
      }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
  });
});
