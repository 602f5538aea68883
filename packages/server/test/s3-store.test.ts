import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
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

/**
 * An S3 endpoint that misbehaves on downloads: it ignores `Range` (answers the whole object, 200) and, when asked
 * to, sends more bytes than the object has (with a Content-Length that says so) or fewer.
 */
describe('an object store that ignores Range or sends another length (fake S3 endpoint)', () => {
  const object = randomBytes(64 * 1024);
  const digest = sha256(object);
  let mode: 'ignore-range' | 'longer' | 'shorter' = 'ignore-range';
  const fake = http.createServer((req, res) => {
    if (!req.url?.startsWith(`/${BUCKET}/pkgs/${digest}.zip`)) {
      res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-length': object.length, 'content-type': 'application/zip' }).end();
      return;
    }
    const body =
      mode === 'longer'
        ? Buffer.concat([object, Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nforgd')])
        : mode === 'shorter'
          ? object.subarray(0, object.length - 1000)
          : object;
    res.writeHead(200, { 'content-length': mode === 'shorter' ? object.length : body.length, 'content-type': 'application/zip' });
    if (mode === 'shorter') {
      res.write(body);
      res.destroy(); // the connection drops before the announced length
    } else res.end(body);
  });
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'FAKE';
    process.env.AWS_SECRET_ACCESS_KEY = 'FAKE';
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const { port } = fake.address() as AddressInfo;
    t = await startApp('sqlite', {
      MPOP_PACKAGE_STORE: `s3://${BUCKET}/pkgs/`,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
    });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.destroy();
    fake.closeAllConnections();
    await new Promise((r) => fake.close(r));
  });

  /**
   * Two requests pipelined on one keep-alive connection, and everything the server sent back: the first answer
   * must end exactly at its Content-Length, so the second answer starts right after it.
   */
  async function twoOnOneConnection(first: string): Promise<Buffer> {
    const { hostname, port } = new URL(base);
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise((r) => socket.on('close', r));
    const path = `/client/v1/packages/${digest}.zip`;
    socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n${first}\r\n`);
    socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    await closed;
    return Buffer.concat(chunks);
  }
  const split = (raw: Buffer) => {
    const headEnd = raw.indexOf('\r\n\r\n');
    const head = raw.subarray(0, headEnd).toString('latin1');
    const length = Number(/content-length: (\d+)/i.exec(head)![1]);
    return { head, body: raw.subarray(headEnd + 4, headEnd + 4 + length), rest: raw.subarray(headEnd + 4 + length) };
  };

  it('serves exactly the asked range when the store ignores Range, and the next answer on the connection is intact', async () => {
    mode = 'ignore-range';
    const raw = await twoOnOneConnection('range: bytes=1000-1999\r\n');
    const { head, body, rest } = split(raw);
    expect(head).toMatch(/^HTTP\/1.1 206/);
    expect(head).toMatch(/content-range: bytes 1000-1999\/65536/i);
    expect(body.equals(object.subarray(1000, 2000))).toBe(true);
    expect(rest.toString('latin1')).toMatch(/^HTTP\/1.1 200 OK\r\n/); // the health answer, nothing in between
  });

  it('never passes on bytes beyond the announced length: the answer fails and the connection closes', async () => {
    mode = 'longer';
    const raw = await twoOnOneConnection('');
    const { head, body, rest } = split(raw);
    expect(head).toMatch(/^HTTP\/1.1 200/);
    expect(head).toMatch(new RegExp(`content-length: ${object.length}`, 'i'));
    expect(body.length).toBeLessThanOrEqual(object.length);
    expect(object.subarray(0, body.length).equals(body)).toBe(true);
    expect(rest.length).toBe(0); // neither the smuggled answer nor the health answer: the connection was closed
    expect(raw.toString('latin1')).not.toContain('forgd');
  });

  it('fails the answer when the store sends fewer bytes than announced', async () => {
    mode = 'shorter';
    const raw = await twoOnOneConnection('');
    const { head, body, rest } = split(raw);
    if (/^HTTP\/1.1 200/.test(head)) {
      // Failed while streaming: fewer bytes than announced, then the connection closed.
      expect(body.length).toBeLessThan(object.length);
      expect(rest.length).toBe(0);
    } else expect(head).toMatch(/^HTTP\/1.1 5\d\d /); // or failed before the answer began
  });

  it('gives any caller of the store only the asked range, even from a store that ignores Range and sends more', async () => {
    mode = 'longer';
    const chunks: Buffer[] = [];
    for await (const c of await t.app.packageStore.read(digest, { start: 10, end: 19 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(object.subarray(10, 20))).toBe(true);
  });
});
