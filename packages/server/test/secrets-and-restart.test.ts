import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyAad, SecretBox } from '../src/lib/crypto.js';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { pemBody, rsaKey } from './helpers/keys.js';

describe.each(dialects)('key material at rest and restarts on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  const key = rsaKey(2048);
  let appId: string;

  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
    appId = (await admin.post('/api/v1/host-apps', { name: 'Secret Holder', workspaceId: 'ws-secret' })).json().appId;
    for (const pem of [key.pkcs1, key.pkcs8]) {
      const res = await admin.put(`/api/v1/host-apps/ws-secret/${appId}/dev-config`, devConfigForm('secret.example.com', pem));
      expect(res.statusCode).toBe(200);
    }
  });
  afterAll(() => t.destroy());

  /** Every form the key could be written in: PEM body lines of both formats and the raw DER in base64/hex. */
  const needles = () => [...pemBody(key.pkcs1), ...pemBody(key.pkcs8)].filter((l) => l.length >= 40);

  it('stores no private key material in clear in the database', async () => {
    let haystack: string;
    if (dialect === 'sqlite') {
      await t.app.db.destroy().catch(() => {}); // flush the WAL into the file; the app is closed below anyway
      haystack = fs
        .readdirSync(t.dataDir)
        .filter((f) => f.startsWith('mpop.db'))
        .map((f) => fs.readFileSync(path.join(t.dataDir, f)).toString('latin1'))
        .join('\n');
      t = await t.restart();
      admin = await Client.signIn(t.app);
    } else {
      const url = new URL(process.env.MPOP_TEST_PG_RUN_URL!);
      haystack = execFileSync('pg_dump', [
        '--no-owner',
        '-h',
        url.hostname,
        '-p',
        url.port || '5432',
        '-U',
        url.username || 'postgres',
        url.pathname.slice(1),
      ]).toString();
    }
    expect(haystack).toContain('secret.example.com'); // the dump does hold this app's rows
    for (const line of needles()) expect(haystack).not.toContain(line);
    expect(haystack).not.toMatch(/BEGIN (RSA )?PRIVATE KEY/);
  });

  it('writes no private key material to the log', () => {
    const logs = t.logs();
    for (const line of needles()) expect(logs).not.toContain(line);
    expect(logs).not.toMatch(/PRIVATE KEY|mpop_session=/);
  });

  it("seals keys to their host app: a sealed key does not open under another app's associated data", async () => {
    const row = await t.app.db.selectFrom('devConfigs').select('privateKeySealed').executeTakeFirstOrThrow();
    const master = Buffer.from(fs.readFileSync(path.join(t.dataDir, 'master.key'), 'utf8').trim(), 'base64');
    const box = new SecretBox(master);
    expect(box.open(row.privateKeySealed, keyAad('ws-secret', appId)).toString()).toContain('BEGIN PRIVATE KEY');
    expect(() => box.open(row.privateKeySealed, keyAad('ws-secret', 'ABCDEF0123456'))).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(row.privateKeySealed, keyAad('ws-secret', appId))).toThrow();
  });

  it('generates the master key once, readable only by its owner', () => {
    const stat = fs.statSync(path.join(t.dataDir, 'master.key'));
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('keeps every record and session across a restart', async () => {
    const before = (await admin.get(`/api/v1/host-apps/ws-secret/${appId}/dev-config`)).json();
    t = await t.restart();
    const again = new Client(t.app, admin.cookie);
    expect((await again.get('/api/v1/session')).statusCode).toBe(200);
    expect((await again.get(`/api/v1/host-apps/ws-secret/${appId}`)).json()).toMatchObject({ name: 'Secret Holder', devConfigured: true });
    expect((await again.get(`/api/v1/host-apps/ws-secret/${appId}/dev-config`)).json()).toEqual(before);
    admin = again;
  });
});

describe('health and readiness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite');
  });
  afterAll(() => t.destroy());

  it('answers /healthz and /readyz, and /readyz 503 once the database is gone', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await t.app.db.destroy();
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('5');
    const api = await t.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'admin', password: 'whatever-password' },
    });
    expect(api.statusCode).toBe(503);
    expect(api.json().code).toBe('DATABASE_UNAVAILABLE');
    expect(api.headers['retry-after']).toBe('5');
  });

  it('serves the OpenAPI document at /api/docs/json with the host-app paths', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/host-apps', '/api/v1/host-apps/{workspaceId}/{appId}/dev-config', '/api/v1/session']),
    );
    expect((await t.app.inject({ method: 'GET', url: '/api/docs' })).statusCode).toBeLessThan(400);
  });
});
