import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes, verify } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';
import { makeZip, packageForm } from './helpers/packages.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const BUCKET = 'mpop-test';

/** A zip of `bytes` incompressible bytes plus an app.json at the front, stored (not deflated) so its size is known. */
function bigZip(bytes: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('{"pages":["pages/big/big"]}'), 'app.json');
  zip.addBuffer(randomBytes(bytes), 'assets/blob.bin', { compress: false });
  zip.end();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
  });
}

describe('packages in an S3-compatible object store (s3rver)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: dir, silent: true, configureBuckets: [{ name: BUCKET }] });
  let endpoint: string;
  let s3: S3Client;
  let t: TestApp;
  let admin: Client;
  let appId: string;
  const key = rsaKey();

  beforeAll(async () => {
    // s3rver's own credentials; mpop takes them from the usual AWS variables.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
    t = await startApp('sqlite', {
      MPOP_PACKAGE_STORE: `s3://${BUCKET}/pkgs/`,
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
    });
    admin = await Client.signIn(t.app);
    appId = (await admin.post('/api/v1/host-apps', { name: 'S3 Host', workspaceId: 's3' })).json().appId;
    await admin.put(`/api/v1/host-apps/s3/${appId}/dev-config`, devConfigForm('s3.example.com', key.pkcs8));
  });
  afterAll(async () => {
    await t?.destroy();
    s3?.destroy();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const keys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key!).sort();
  const ask = () =>
    t.app.inject({
      method: 'POST',
      url: '/client/v1/resources',
      payload: { appId, workspaceId: 's3', platform: 'android', clientVersion: '1.0', miniPrograms: {} },
    });

  it('stores an upload under its hash, hands it out signed, serves it by packageUrl (ranges too), and deletes it', async () => {
    // Over 5 MiB: streamed as a multipart upload; app.json sits at the front, outside the tail read at once.
    const zip = await bigZip(6 * 1024 * 1024);
    const mp = (await admin.post('/api/v1/mini-programs', { name: 'From S3' })).json();
    const up = await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages`, packageForm({ version: '1.0.0.0' }, zip));
    expect(up.statusCode).toBe(201);
    expect(up.json()).toMatchObject({ sha256: sha256(zip), size: zip.length, mainUrl: '/index.html#pages/big/big' });
    expect(await keys()).toEqual([`pkgs/${sha256(zip)}.zip`]); // nothing left in staging
    expect(fs.existsSync(path.join(t.dataDir, 'packages'))).toBe(false); // nothing on the local disk

    await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages/1.0.0.0/release`);
    await admin.put(`/api/v1/host-apps/s3/${appId}/mini-programs/${mp.miniProgramId}`);
    const [r] = (await ask()).json().resources;
    expect(r.packageUrl).toBe(`http://mpop.test/client/v1/packages/${sha256(zip)}.zip`);
    expect(verify('sha256', zip, key.publicPem, Buffer.from(r.signature, 'base64'))).toBe(true);

    const url = new URL(r.packageUrl).pathname;
    const file = await t.app.inject({ method: 'GET', url });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-length']).toBe(String(zip.length));
    expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(sha256(file.rawPayload)).toBe(r.sha256);
    const part = await t.app.inject({ method: 'GET', url, headers: { range: 'bytes=-100' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes ${zip.length - 100}-${zip.length - 1}/${zip.length}`);
    expect(part.rawPayload.equals(zip.subarray(zip.length - 100))).toBe(true);

    await t.app.packageStore.delete(r.sha256);
    expect(await keys()).toEqual([]);
    const gone = await t.app.inject({ method: 'GET', url });
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['cache-control']).toBe('no-store');
  });

  it('leaves nothing in the bucket when an upload is refused', async () => {
    const mp = (await admin.post('/api/v1/mini-programs', { name: 'Refused' })).json();
    const res = await admin.post(
      `/api/v1/mini-programs/${mp.miniProgramId}/packages`,
      packageForm({ version: '1.0.0.0' }, await makeZip({ 'index.html': '<p>' })),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_PACKAGE');
    expect(await keys()).toEqual([]);
  });

  it('stores identical content once', async () => {
    const zip = await makeZip({ 'app.json': '{"pages":["a"]}', 'x.js': randomBytes(100).toString('hex') });
    for (const name of ['Twin A', 'Twin B']) {
      const mp = (await admin.post('/api/v1/mini-programs', { name })).json();
      expect(
        (await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages`, packageForm({ version: '1.0.0.0' }, zip))).statusCode,
      ).toBe(201);
    }
    expect(await keys()).toEqual([`pkgs/${sha256(zip)}.zip`]);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `pkgs/${sha256(zip)}.zip` }));
  });

  describe('behind a CDN (MPOP_PACKAGE_BASE_URL)', () => {
    let cdn: TestApp;
    beforeAll(async () => {
      cdn = await startApp('sqlite', {
        MPOP_PACKAGE_STORE: `s3://${BUCKET}/cdn`,
        S3_ENDPOINT: endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        MPOP_PACKAGE_BASE_URL: 'https://cdn.example.com/mini/',
      });
    });
    afterAll(() => cdn.destroy());

    it('points packageUrl at the CDN, whose origin (the bucket folder) holds the same bytes under the same name', async () => {
      const a = await Client.signIn(cdn.app);
      const host = (await a.post('/api/v1/host-apps', { name: 'CDN Host', workspaceId: 'cdn' })).json().appId;
      await a.put(`/api/v1/host-apps/cdn/${host}/dev-config`, devConfigForm('cdn.example.com', key.pkcs8));
      const zip = await makeZip({ 'app.json': '{"pages":["home"]}', 'app.js': 'App({})' });
      const mp = (await a.post('/api/v1/mini-programs', { name: 'Via CDN' })).json();
      await a.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages`, packageForm({ version: '2.0.0.0' }, zip));
      await a.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages/2.0.0.0/release`);
      await a.put(`/api/v1/host-apps/cdn/${host}/mini-programs/${mp.miniProgramId}`);
      const [r] = (
        await cdn.app.inject({
          method: 'POST',
          url: '/client/v1/resources',
          payload: { appId: host, workspaceId: 'cdn', platform: 'ios', clientVersion: '1.0', miniPrograms: {} },
        })
      ).json().resources;
      expect(r.packageUrl).toBe(`https://cdn.example.com/mini/${sha256(zip)}.zip`);
      // What a CDN with the origin <bucket>/cdn fetches for that URL:
      const origin = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `cdn/${path.basename(new URL(r.packageUrl).pathname)}` }));
      const bytes = Buffer.from(await origin.Body!.transformToByteArray());
      expect(sha256(bytes)).toBe(r.sha256);
      expect(bytes.length).toBe(r.size);
    });
  });
});
