import { createPublicKey, verify, sign, createPrivateKey, createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, userWithRole, type TestApp } from './helpers/app.js';
import { nonKeys, opensslFixtures, pemBody, rsaKey, sharedKey } from './helpers/keys.js';

const ossl = opensslFixtures();
const rsa3072 = rsaKey(3072);
const rsa4096 = rsaKey(4096);

describe.each(dialects)('development configuration on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  async function newApp(name = `App ${Math.random()}`) {
    const res = await admin.post('/api/v1/host-apps', { name, workspaceId: 'ws-dev' });
    const app = res.json();
    return { ...app, path: `/api/v1/host-apps/ws-dev/${app.appId}` };
  }
  const put = (path: string, form: FormData, client = admin) => client.put(`${path}/dev-config`, form);

  describe('PUT /api/v1/host-apps/:ws/:appId/dev-config', () => {
    it.each([
      ['PKCS#8 2048 (openssl genrsa)', ossl.pkcs8, 'pkcs8', 2048],
      ['PKCS#1 2048 (openssl genrsa -traditional)', ossl.pkcs1, 'pkcs1', 2048],
      ['PKCS#1 3072', rsa3072.pkcs1, 'pkcs1', 3072],
      ['PKCS#8 3072', rsa3072.pkcs8, 'pkcs8', 3072],
      ['PKCS#1 4096', rsa4096.pkcs1, 'pkcs1', 4096],
      ['PKCS#8 4096', rsa4096.pkcs8, 'pkcs8', 4096],
    ])('accepts a %s key and describes it without the private key', async (_label, pem, format, bits) => {
      const app = await newApp();
      const res = await put(app.path, devConfigForm('Mini.Example.COM', pem, 'my_key.pem'));
      expect(res.statusCode).toBe(200);
      const cfg = res.json();
      const expectedPublic = createPublicKey(pem);
      expect(cfg).toMatchObject({
        virtualDomain: 'mini.example.com',
        privateKey: { fileName: 'my_key.pem', algorithm: 'RSA', bits, format },
      });
      expect(cfg.privateKey.fingerprintSha256).toBe(
        createHash('sha256')
          .update(expectedPublic.export({ type: 'spki', format: 'der' }))
          .digest('hex'),
      );
      expect(cfg.privateKey.publicKeyPem).toBe(expectedPublic.export({ type: 'spki', format: 'pem' }));
      expect(res.body).not.toContain('PRIVATE KEY');
      expect((await admin.get(app.path)).json().devConfigured).toBe(true);
      expect((await admin.get(`${app.path}/dev-config`)).json()).toEqual(cfg);
    });

    const rejections: [string, string, number, () => string | Buffer][] = [
      ['an RSA 1024 key', 'KEY_TOO_WEAK', 400, () => ossl.rsa1024],
      ['an EC P-256 key (SEC1)', 'UNSUPPORTED_KEY_TYPE', 400, () => ossl.ec],
      ['an Ed25519 key', 'UNSUPPORTED_KEY_TYPE', 400, () => ossl.ed25519],
      ['a public key', 'NOT_A_PRIVATE_KEY', 400, () => ossl.publicKey],
      ['a certificate', 'NOT_A_PRIVATE_KEY', 400, () => ossl.certificate],
      ['a passphrase-protected PKCS#8 key', 'ENCRYPTED_PRIVATE_KEY', 400, () => ossl.encryptedPkcs8],
      ['a passphrase-protected PKCS#1 key', 'ENCRYPTED_PRIVATE_KEY', 400, () => ossl.encryptedPkcs1],
      ['a truncated PEM', 'INVALID_PRIVATE_KEY', 400, () => nonKeys(ossl.pkcs8).truncated],
      ['random bytes', 'INVALID_PRIVATE_KEY', 400, () => nonKeys(ossl.pkcs8).randomBytes],
      ['an empty file', 'INVALID_PRIVATE_KEY', 400, () => ''],
      ['a 17 KiB file', 'PAYLOAD_TOO_LARGE', 413, () => nonKeys(ossl.pkcs8).oversized],
    ];

    it.each(rejections)('rejects %s with %s and keeps the previous configuration', async (_label, code, status, file) => {
      const app = await newApp();
      const first = await put(app.path, devConfigForm('before.example.com', sharedKey().pkcs8));
      expect(first.statusCode).toBe(200);
      const res = await put(app.path, devConfigForm('after.example.com', file()));
      expect(res.statusCode).toBe(status);
      const problem = res.json();
      expect(problem.code).toBe(code);
      expect(problem.detail.length).toBeGreaterThan(20);
      // The problem names the form field it concerns, so the console shows it under the key file.
      expect(problem.errors).toEqual([{ path: 'privateKey', message: problem.detail }]);
      const uploaded = file();
      for (const line of typeof uploaded === 'string' ? pemBody(uploaded) : []) expect(res.body).not.toContain(line);
      expect(res.body).not.toMatch(/MII[A-Za-z0-9+/]{20}/);
      expect((await admin.get(`${app.path}/dev-config`)).json()).toEqual(first.json());
    });

    it('rejects a key on a never-configured app and leaves it unconfigured', async () => {
      const app = await newApp();
      const res = await put(app.path, devConfigForm('x.example.com', ossl.ec));
      expect(res.json().code).toBe('UNSUPPORTED_KEY_TYPE');
      const get = await admin.get(`${app.path}/dev-config`);
      expect(get.statusCode).toBe(404);
      expect(get.json().code).toBe('DEV_CONFIG_NOT_SET');
      expect((await admin.get(app.path)).json().devConfigured).toBe(false);
    });

    it.each([
      'https://x.com',
      'x.com/p',
      'x.com:80',
      'localhost',
      '10.0.0.1',
      '*.x.com',
      '-a.x.com',
      'a-.x.com',
      'a..b.com',
      'x.com?q',
      'user@x.com',
      '[::1]',
      'under_score.com',
      `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
      `${'a'.repeat(64)}.com`,
      '',
    ])('rejects the virtual domain %j with INVALID_VIRTUAL_DOMAIN and changes nothing', async (domain) => {
      const app = await newApp();
      const first = (await put(app.path, devConfigForm('keep.example.com', sharedKey().pkcs8))).json();
      const res = await put(app.path, devConfigForm(domain, sharedKey().pkcs1));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('INVALID_VIRTUAL_DOMAIN');
      expect((await admin.get(`${app.path}/dev-config`)).json()).toEqual(first);
    });

    it('accepts a 253-character name and stores names lower-case', async () => {
      const app = await newApp();
      const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
      expect(long).toHaveLength(253);
      const res = await put(app.path, devConfigForm(long.toUpperCase(), sharedKey().pkcs8));
      expect(res.statusCode).toBe(200);
      expect(res.json().virtualDomain).toBe(long);
    });

    it('keeps the key when only the virtual domain changes (file left out)', async () => {
      const app = await newApp();
      const first = (await put(app.path, devConfigForm('one.example.com', sharedKey().pkcs8))).json();
      const res = await put(app.path, devConfigForm('two.example.com'));
      expect(res.statusCode).toBe(200);
      expect(res.json().virtualDomain).toBe('two.example.com');
      expect(res.json().privateKey).toEqual(first.privateKey);
    });

    it('requires the key file the first time (VALIDATION_FAILED naming privateKey)', async () => {
      const app = await newApp();
      const res = await put(app.path, devConfigForm('first.example.com'));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'privateKey' }] });
    });

    it('requires the virtual domain (VALIDATION_FAILED naming virtualDomain)', async () => {
      const app = await newApp();
      const res = await put(app.path, devConfigForm(undefined, sharedKey().pkcs8));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'virtualDomain' }] });
    });

    it('answers MALFORMED_REQUEST to a JSON body', async () => {
      const app = await newApp();
      const res = await admin.put(`${app.path}/dev-config`, { virtualDomain: 'a.example.com' });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('MALFORMED_REQUEST');
    });

    it('answers 404 for an unknown host app, after validating nothing was written', async () => {
      const res = await put('/api/v1/host-apps/ws-dev/ABCDEF0123456', devConfigForm('a.example.com', sharedKey().pkcs8));
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
    });

    it('replaces the key on a new upload (rotation)', async () => {
      const app = await newApp();
      const first = (await put(app.path, devConfigForm('rot.example.com', sharedKey().pkcs8))).json();
      const second = (await put(app.path, devConfigForm('rot.example.com', ossl.pkcs1))).json();
      expect(second.privateKey.fingerprintSha256).not.toBe(first.privateKey.fingerprintSha256);
      expect(second.privateKey.publicKeyPem).toBe(createPublicKey(ossl.pkcs1).export({ type: 'spki', format: 'pem' }));
    });

    it('is refused to a viewer (403) and changes nothing', async () => {
      const viewer = await userWithRole(admin, 'viewer');
      const app = await newApp();
      const res = await put(app.path, devConfigForm('v.example.com', sharedKey().pkcs8), viewer);
      expect(res.statusCode).toBe(403);
      expect((await admin.get(`${app.path}/dev-config`)).statusCode).toBe(404);
    });
  });

  describe('GET /api/v1/host-apps/:ws/:appId/dev-config/public-key', () => {
    it('downloads the public key as a PEM file that verifies signatures of the uploaded private key', async () => {
      const app = await newApp();
      await put(app.path, devConfigForm('pk.example.com', ossl.pkcs1));
      const viewer = await userWithRole(admin, 'viewer');
      const res = await viewer.get(`${app.path}/dev-config/public-key`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('application/x-pem-file');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${app.appId}_public_key.pem"`);
      expect(res.body).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      const data = Buffer.from('package bytes');
      expect(verify('sha256', data, res.body, sign('sha256', data, createPrivateKey(ossl.pkcs1)))).toBe(true);
    });

    it('answers DEV_CONFIG_NOT_SET before configuration', async () => {
      const app = await newApp();
      const res = await admin.get(`${app.path}/dev-config/public-key`);
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('DEV_CONFIG_NOT_SET');
    });
  });

  it('removes the dev config with the host app', async () => {
    const app = await newApp();
    await put(app.path, devConfigForm('gone.example.com', sharedKey().pkcs8));
    expect((await admin.delete(app.path)).statusCode).toBe(204);
    expect((await admin.get(`${app.path}/dev-config`)).statusCode).toBe(404);
    const rows = await t.app.db.selectFrom('devConfigs').selectAll().execute();
    expect(rows.every((r) => r.virtualDomain !== 'gone.example.com')).toBe(true);
  });
});
