import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPackageStore } from '../src/modules/mini-programs/local-package-store.js';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';
import { miniProgramZip } from './helpers/packages.js';

/**
 * Input an attacker (or a broken client) sends: never a 500, never a change, never a file left behind.
 * Multipart bodies are written by hand here, byte by byte, so that they can be wrong in every way.
 */

const BOUNDARY = 'mpop-test-boundary-7d1f';

type Part = { name: string; value: string | Buffer; fileName?: string };

/** A multipart/form-data body with the given parts. */
function multipart(parts: Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.fileName !== undefined ? `; filename="${p.fileName}"` : ''}`;
    const type = p.fileName !== undefined ? 'Content-Type: application/octet-stream\r\n' : '';
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`),
      Buffer.from(p.value),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const formType = (boundary = BOUNDARY) => `multipart/form-data; boundary=${boundary}`;

describe.each(dialects)('malformed input on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let devConfigUrl: string;
  let packagesUrl: string;
  let key: string;
  let zip: Buffer;

  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
    key = sharedKey().pkcs8;
    zip = await miniProgramZip();
    const app = (await admin.post('/api/v1/host-apps', { name: 'Malformed', workspaceId: 'evil' })).json();
    devConfigUrl = `/api/v1/host-apps/evil/${app.appId}/dev-config`;
    expect((await admin.put(devConfigUrl, devConfigForm('kept.example.com', key))).statusCode).toBe(200);
    const mp = (await admin.post('/api/v1/mini-programs', { name: 'Malformed' })).json();
    packagesUrl = `/api/v1/mini-programs/${mp.miniProgramId}/packages`;
  });
  afterAll(() => t.destroy());

  /** This instance's staging folder of uploads in progress. */
  const tmpFiles = () => fs.readdirSync((t.app.packageStore as LocalPackageStore).staging.dir);
  const storedPackages = () =>
    fs.readdirSync(path.join(t.dataDir, 'packages'), { recursive: true }).filter((f) => String(f).endsWith('.zip'));

  /** What must hold after any refused upload: the same configuration, no package, no temporary file, no 500 logged. */
  async function nothingChanged() {
    const config = (await admin.get(devConfigUrl)).json();
    expect(config.virtualDomain).toBe('kept.example.com');
    expect((await admin.get(packagesUrl)).json().items).toEqual([]);
    expect(storedPackages()).toEqual([]);
    // The refusal may be answered while its partial file is being removed: wait for that, on a busy machine too.
    await expect.poll(tmpFiles, { timeout: 10_000 }).toEqual([]);
    expect(t.logs()).not.toContain('unhandled error');
  }

  const uploads = [
    {
      route: 'PUT dev-config',
      method: 'PUT' as const,
      url: () => devConfigUrl,
      parts: (): Part[] => [
        { name: 'virtualDomain', value: 'evil.example.com' },
        { name: 'privateKey', value: key, fileName: 'k.pem' },
      ],
      malformed: 'Send this as a complete multipart/form-data body with the field virtualDomain, the file privateKey.',
    },
    {
      route: 'POST packages',
      method: 'POST' as const,
      url: () => packagesUrl,
      parts: (): Part[] => [
        { name: 'version', value: '6.6.6.6' },
        { name: 'package', value: zip, fileName: 'mini.zip' },
      ],
      malformed:
        'Send this as a complete multipart/form-data body with the field version, the field clientVersionMin, the field clientVersionMax, the field platform, the field releaseSignature, the file package.',
    },
  ];

  describe.each(uploads)('$route', ({ method, url, parts, malformed }) => {
    const send = (headers: Record<string, string>, payload: Buffer | string) => admin.request({ method, url: url(), headers, payload });

    it('takes the well-formed body written by hand (the cases below differ from it in one way each)', async () => {
      // Sent to a copy of the route's target that cannot succeed, so that nothing changes: an unknown host app
      // or mini program answers 404 only after the whole body has been read and validated.
      const other = url()
        .replace(/evil\/[0-9A-F]+/, 'evil/0000000000000')
        .replace(/\/[0-9]{16}\//, '/1000000000000000/');
      const res = await admin.request({ method, url: other, headers: { 'content-type': formType() }, payload: multipart(parts()) });
      expect(res.statusCode).toBe(404);
      await nothingChanged();
    });

    it.each([
      ['without a space before it', `multipart/form-data;boundary=${BOUNDARY}`, BOUNDARY],
      ['quoted', `multipart/form-data; boundary="${BOUNDARY}"`, BOUNDARY],
      ['of 70 characters', formType('b'.repeat(70)), 'b'.repeat(70)],
      ['with a space inside, quoted', 'multipart/form-data; boundary="a b"', 'a b'],
      ['in a type written in capitals', `Multipart/Form-Data; Boundary=${BOUNDARY}`, BOUNDARY],
    ])('takes a boundary %s', async (_label, type, boundary) => {
      // Sent where nothing can change (see above): 404 once the body has been read and validated.
      const other = url()
        .replace(/evil\/[0-9A-F]+/, 'evil/0000000000000')
        .replace(/\/[0-9]{16}\//, '/1000000000000000/');
      const res = await admin.request({ method, url: other, headers: { 'content-type': type }, payload: multipart(parts(), boundary) });
      expect(res.json().code).toBe('NOT_FOUND');
      await nothingChanged();
    });

    it.each([
      ['a character RFC 2046 does not allow', 'ab{c}'],
      ['a space at its end', 'abc '],
    ])('answers 400 MALFORMED_REQUEST, saying what a boundary is, to a boundary with %s', async (_label, boundary) => {
      const res = await send({ 'content-type': `multipart/form-data; boundary="${boundary}"` }, multipart(parts(), boundary));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'MALFORMED_REQUEST',
        detail:
          'The Content-Type multipart/form-data needs a boundary of 1 to 70 characters (RFC 2046); send the form as a browser or curl -F does.',
      });
      await nothingChanged();
    });

    it('names the fields of the form when the body is cut off in the file', async () => {
      const whole = multipart(parts());
      const res = await send({ 'content-type': formType() }, whole.subarray(0, whole.length - 200));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'MALFORMED_REQUEST', detail: malformed });
      await nothingChanged();
    });

    it.each([
      ['no boundary', () => 'multipart/form-data', () => multipart(parts())],
      ['an empty boundary', () => 'multipart/form-data; boundary=', () => multipart(parts())],
      ['an empty quoted boundary', () => 'multipart/form-data; boundary=""', () => multipart(parts())],
      ['a boundary over 70 characters', () => formType('b'.repeat(71)), () => multipart(parts(), 'b'.repeat(71))],
      ['a boundary over 256 characters', () => formType('b'.repeat(300)), () => multipart(parts(), 'b'.repeat(300))],
      ['a wrong boundary', () => formType('not-the-boundary'), () => multipart(parts())],
      ['garbage', () => formType(), () => randomBytes(4096)],
      ['garbage after a boundary line', () => formType(), () => Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n`), randomBytes(2048)])],
      ['a body cut off in the file', () => formType(), () => multipart(parts()).subarray(0, multipart(parts()).length - 200)],
      ['a body cut off in a part header', () => formType(), () => Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-da`)],
      ['a body without the closing boundary', () => formType(), () => multipart(parts()).subarray(0, -`--${BOUNDARY}--\r\n`.length)],
    ])('answers 400 MALFORMED_REQUEST to a body with %s, and changes nothing', async (_label, type, body) => {
      const res = await send({ 'content-type': type() }, body());
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST' });
      expect(res.statusCode).toBe(400);
      await nothingChanged();
    });

    it.each([
      ['an empty body', () => Buffer.alloc(0)],
      ['only the closing boundary', () => Buffer.from(`--${BOUNDARY}--\r\n`)],
      ['a part without a name', () => Buffer.from(`--${BOUNDARY}\r\nno header here\r\n\r\nx\r\n--${BOUNDARY}--\r\n`)],
    ])('answers 400 VALIDATION_FAILED naming the missing fields to %s', async (_label, body) => {
      const res = await send({ 'content-type': formType() }, body());
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(parts()[0].name);
      await nothingChanged();
    });

    it('answers 400 MALFORMED_REQUEST to the form sent as JSON (a file cannot be forged in JSON)', async () => {
      const forged = Object.fromEntries(
        parts().map((p) => [p.name, p.fileName ? { fileName: p.fileName, data: 'x', tmpPath: '/etc/passwd' } : p.value]),
      );
      const res = await send({ 'content-type': 'application/json' }, JSON.stringify(forged));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'MALFORMED_REQUEST', detail: malformed });
      await nothingChanged();
    });

    it('refuses a field sent twice with 400 VALIDATION_FAILED naming it, instead of taking the last', async () => {
      const [field, ...rest] = parts();
      const res = await send(
        { 'content-type': formType() },
        multipart([field, { ...field, value: field.value === '6.6.6.6' ? '7.7.7.7' : 'other.example.com' }, ...rest]),
      );
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        detail: `The field ${field.name} was sent more than once; send it once.`,
        errors: [{ path: field.name, message: 'must be sent once' }],
      });
      await nothingChanged();
    });

    it('refuses the file sent twice', async () => {
      const all = parts();
      const res = await send({ 'content-type': formType() }, multipart([...all, all[1]]));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('MALFORMED_REQUEST');
      await nothingChanged();
    });

    it('refuses a file where a text field belongs, and text where the file belongs', async () => {
      const [field, file] = parts();
      const asFile = await send({ 'content-type': formType() }, multipart([{ ...field, fileName: 'x.txt' }, file]));
      expect(asFile.statusCode).toBe(400);
      expect(asFile.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        detail: `The part "${field.name}" is a file; send it as a text field.`,
        errors: [{ path: field.name, message: 'must be a text field, not a file' }],
      });
      if (file.name === 'package') {
        const asText = await send({ 'content-type': formType() }, multipart([field, { name: file.name, value: 'PK not a file' }]));
        expect(asText.statusCode).toBe(400);
        expect(asText.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'package', message: 'must be a file' }] });
      }
      await nothingChanged();
    });

    it('refuses an unknown field and an unknown file by name', async () => {
      const unknownField = await send({ 'content-type': formType() }, multipart([...parts(), { name: 'admin', value: 'true' }]));
      expect(unknownField.statusCode).toBe(400);
      expect(unknownField.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ path: 'admin', message: 'is not a known field' }],
      });
      const unknownFile = await send(
        { 'content-type': formType() },
        multipart([{ name: 'extra', value: 'x', fileName: 'x.bin' }, ...parts()]),
      );
      expect(unknownFile.statusCode).toBe(400);
      expect(unknownFile.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        detail: 'The part "extra" is a file; this endpoint takes no such file.',
        errors: [{ path: 'extra', message: 'is not a known field' }],
      });
      await nothingChanged();
    });

    it('refuses a prototype property as a field name', async () => {
      const res = await send({ 'content-type': formType() }, multipart([{ name: '__proto__', value: '{}' }, ...parts()]));
      expect(res.statusCode).toBe(400);
      expect(['MALFORMED_REQUEST', 'VALIDATION_FAILED']).toContain(res.json().code);
      await nothingChanged();
    });
  });

  describe('PUT dev-config with the key as a text field (curl -F "privateKey=<private_key.pem")', () => {
    it('reads the text as the key file, an empty one as left out, and over 16 KiB as too large', async () => {
      const app = (await admin.post('/api/v1/host-apps', { name: 'Text Key', workspaceId: 'evil' })).json();
      const url = `/api/v1/host-apps/evil/${app.appId}/dev-config`;
      const send = (fields: Part[]) =>
        admin.request({ method: 'PUT', url, headers: { 'content-type': formType() }, payload: multipart(fields) });
      const first = await send([
        { name: 'virtualDomain', value: ' text.example.com ' },
        { name: 'privateKey', value: key },
      ]);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ virtualDomain: 'text.example.com', privateKey: { fileName: 'private_key.pem', bits: 2048 } });
      const kept = await send([
        { name: 'virtualDomain', value: 'kept-key.example.com' },
        { name: 'privateKey', value: '' },
      ]);
      expect(kept.statusCode).toBe(200);
      expect(kept.json().privateKey).toEqual(first.json().privateKey);
      const big = await send([
        { name: 'virtualDomain', value: 'big.example.com' },
        { name: 'privateKey', value: 'A'.repeat(17 * 1024) },
      ]);
      expect(big.statusCode).toBe(413);
      expect(big.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', detail: expect.stringMatching(/16 KiB/) });
      expect((await admin.get(url)).json().virtualDomain).toBe('kept-key.example.com');
    });
  });

  it('answers 413 to a key file over 16 KiB, and reads one of exactly 16 KiB (which is then no key)', async () => {
    const send = (fields: Part[]) =>
      admin.request({ method: 'PUT', url: devConfigUrl, headers: { 'content-type': formType() }, payload: multipart(fields) });
    const big = await send([
      { name: 'virtualDomain', value: 'big-file.example.com' },
      { name: 'privateKey', value: 'A'.repeat(16 * 1024 + 1), fileName: 'k.pem' },
    ]);
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', detail: expect.stringMatching(/16 KiB/) });
    for (const fileName of ['k.pem', undefined]) {
      const edge = await send([
        { name: 'virtualDomain', value: 'edge.example.com' },
        { name: 'privateKey', value: 'A'.repeat(16 * 1024), fileName },
      ]);
      expect(edge.statusCode).toBe(400);
      expect(edge.json().code).toBe('INVALID_PRIVATE_KEY');
    }
    await nothingChanged();
  });

  it('reads the text fields of an upload without the white space around them', async () => {
    const res = await admin.request({
      method: 'POST',
      url: packagesUrl.replace(/\/[0-9]{16}\//, '/1000000000000000/'),
      headers: { 'content-type': formType() },
      payload: multipart([
        { name: 'version', value: ' 6.6.6.6\t' },
        { name: 'package', value: zip, fileName: 'mini.zip' },
      ]),
    });
    expect(res.json().code).toBe('NOT_FOUND');
    await nothingChanged();
  });

  describe.each(['/api/v1/host-apps', '/api/v1/audit-events'])('GET %s paging', (list) => {
    it.each(['page=Infinity', 'page=-Infinity', 'page=NaN', 'page=1e17&pageSize=100', 'page=100001', 'page=1.5', 'pageSize=1e400'])(
      'answers 400 VALIDATION_FAILED to %s',
      async (query) => {
        const res = await admin.get(`${list}?${query}`);
        expect(res.statusCode).toBe(400);
        expect(res.json().code).toBe('VALIDATION_FAILED');
        expect(res.json().errors[0].path).toMatch(/^query\.page/);
      },
    );

    it('answers the last allowed page (100000) with no items and the true total', async () => {
      const res = await admin.get(`${list}?page=100000&pageSize=100`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ items: [], page: 100000, pageSize: 100 });
      expect(res.json().total).toBeGreaterThan(0);
    });
  });

  describe('validation messages name what is allowed', () => {
    const gate = (body: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/client/v1/resources',
        payload: { appId: 'A', workspaceId: 'evil', platform: 'android', clientVersion: '1.0.0', miniPrograms: {}, ...body },
      });

    it('says "must be one of android, ios, harmony" once, not a line per branch of the schema', async () => {
      const res = await gate({ platform: 'windows' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        detail: 'The request is invalid: platform must be one of android, ios, harmony.',
        errors: [{ path: 'platform', message: 'must be one of android, ios, harmony' }],
      });
    });

    it('keeps one message per field when several fields are wrong', async () => {
      const res = await gate({ platform: 'windows', clientVersion: 7 });
      const paths = res.json().errors.map((e: { path: string }) => e.path);
      expect(new Set(paths).size).toBe(paths.length);
      expect(paths).toContain('platform');
      expect(JSON.stringify(res.json())).not.toMatch(/constant|anyOf/);
    });
  });

  describe('the audit actor of the longest user and token names', () => {
    it('records changes made with a 64-character token of a 64-character user', async () => {
      const username = `u${'x'.repeat(63)}`;
      const created = await admin.post('/api/v1/users', { username, password: 'long-user-password-1', role: 'operator' });
      expect(created.statusCode).toBe(201);
      const operator = await Client.signIn(t.app, username, 'long-user-password-1');
      const name = 'n'.repeat(64);
      const token = await operator.post('/api/v1/tokens', { name });
      expect(token.statusCode).toBe(201);
      const bot = new Client(t.app, undefined, token.json().token);
      const res = await bot.post('/api/v1/host-apps', { name: 'Made by a long token', workspaceId: 'evil' });
      expect(res.statusCode).toBe(201);
      const events = (await admin.get('/api/v1/audit-events?action=host-app.created&pageSize=1')).json().items;
      expect(events[0]).toMatchObject({ actor: `${username} (token ${name})`, target: `host-app:evil/${res.json().appId}` });
    });
  });
});
