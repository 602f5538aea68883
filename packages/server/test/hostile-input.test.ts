import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { sharedKey } from './helpers/keys.js';

/** Names a hostile client tries, each with what must be refused about it. */
const HOSTILE_NAMES: [string, string][] = [
  ['a NUL', 'Acme\u0000App'],
  ['a lone surrogate', 'Acme \ud800 App'],
  ['a control character', 'Acme\u001bApp'],
  ['a right-to-left override', 'Acme \u202eppA'],
  ['a left-to-right isolate', 'Acme \u2066App'],
  ['only invisible characters', '\u200b\u200d\u2060'],
  ['only white space', ' \u3000 '],
  ['only a Hangul filler', '\u3164'],
  ['a zero-width space inside', 'Ac\u200bme App'],
  ['a zero-width non-joiner between Latin letters', 'Ac\u200cme App'],
  ['a zero-width joiner between Latin letters', 'Ac\u200dme App'],
  ['a word joiner', 'Acme\u2060App'],
  ['a byte order mark', '\ufeffAcme App'],
  ['a soft hyphen', 'Ac\u00adme App'],
  ['an invisible tag character', 'Acme App\u{e0041}'],
  ['an invisible separator', 'Acme\u2063App'],
];

/** An RSA private key of more than 8192 bits, assembled without the minutes that generating one would take. */
function oversizedRsaKeyPem(): string {
  const big = (bytes: number) => {
    const b = randomBytes(bytes);
    b[0] |= 0x80;
    return b.toString('base64url');
  };
  const jwk = { kty: 'RSA', n: big(1040), e: 'AQAB', d: big(1040), p: big(520), q: big(520), dp: big(520), dq: big(520), qi: big(520) };
  return createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs1', format: 'pem' }) as string;
}

describe.each(dialects)('hostile input on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const hostApps = async (workspaceId: string) => (await admin.get(`/api/v1/host-apps?workspaceId=${workspaceId}`)).json();

  describe('names', () => {
    it.each(HOSTILE_NAMES)('refuses a host app name with %s (400 naming the field) and stores nothing', async (_what, name) => {
      const res = await admin.post('/api/v1/host-apps', { name, workspaceId: 'ws-hostile' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(res.json().errors?.[0]?.path).toBe('name');
      expect((await hostApps('ws-hostile')).total).toBe(0);
    });

    it.each(HOSTILE_NAMES)('refuses a mini program name with %s', async (_what, name) => {
      const before = (await admin.get('/api/v1/mini-programs')).json().items.length;
      const res = await admin.post('/api/v1/mini-programs', { name });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect((await admin.get('/api/v1/mini-programs')).json().items.length).toBe(before);
    });

    it.each(HOSTILE_NAMES)('refuses an API token name with %s', async (_what, name) => {
      const res = await admin.post('/api/v1/tokens', { name });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect((await admin.get('/api/v1/tokens')).json().items).toEqual([]);
    });

    it('stores names normalised: NFC, one space between words, trimmed', async () => {
      const res = await admin.post('/api/v1/host-apps', { name: '  Cafe\u0301 \t  Super\u00a0\u00a0App ', workspaceId: 'ws-norm' });
      expect(res.statusCode).toBe(201);
      expect(res.json().name).toBe('Caf\u00e9 Super App');
      const mp = await admin.post('/api/v1/mini-programs', { name: ' Cafe\u0301   Mini ' });
      expect(mp.json().name).toBe('Caf\u00e9 Mini');
    });

    it.each([
      ['the same letters in another case', 'ACM\u00c9 PAY'],
      ['a decomposed accent', 'Acme\u0301 Pay'],
      ['full-width letters', '\uff21\uff43\uff4d\u00e9 Pay'],
      ['doubled spaces', 'Acm\u00e9    Pay'],
      ['a no-break space', 'Acm\u00e9\u00a0Pay'],
    ])('refuses a look-alike of an existing name (%s) with NAME_TAKEN', async (_what, lookAlike) => {
      const ws = `ws-look-${randomBytes(3).toString('hex')}`;
      expect((await admin.post('/api/v1/host-apps', { name: 'Acm\u00e9 Pay', workspaceId: ws })).statusCode).toBe(201);
      const res = await admin.post('/api/v1/host-apps', { name: lookAlike, workspaceId: ws });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('NAME_TAKEN');
      expect((await hostApps(ws)).total).toBe(1);
    });

    it('finds a name by a look-alike query (the search uses the same key)', async () => {
      await admin.post('/api/v1/host-apps', { name: 'Ｗｉｄｅ Ｂａｎｋ', workspaceId: 'ws-search' });
      const found = (await admin.get(`/api/v1/host-apps?workspaceId=ws-search&query=${encodeURIComponent('wide bank')}`)).json();
      expect(found.items.map((a: { name: string }) => a.name)).toEqual(['Ｗｉｄｅ Ｂａｎｋ']);
    });

    it.each([
      ['host app', (name: string) => admin.post('/api/v1/host-apps', { name, workspaceId: 'ws-format' })],
      ['mini program', (name: string) => admin.post('/api/v1/mini-programs', { name })],
      ['API token', (name: string) => admin.post('/api/v1/tokens', { name })],
    ])('says which invisible formatting character a %s name holds, so a person can remove it', async (_what, create) => {
      const res = await create('Acme\u200bPay');
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0]).toMatchObject({ path: 'name' });
      expect(res.json().errors[0].message).toMatch(/must not contain invisible formatting characters .*U\+200B/);
    });

    it('keeps the joiners that do visible work: Persian and Devanagari words shaped with ZWNJ/ZWJ', async () => {
      for (const name of ['\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', '\u0915\u094d\u200d\u0937 App']) {
        const res = await admin.post('/api/v1/mini-programs', { name });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json().name).toBe(name);
      }
    });

    it('keeps a name with emoji and joiners that has visible characters', async () => {
      const res = await admin.post('/api/v1/host-apps', { name: 'Family 👨‍👩‍👧 App', workspaceId: 'ws-emoji' });
      expect(res.statusCode).toBe(201);
      expect(res.json().name).toBe('Family 👨‍👩‍👧 App');
    });
  });

  describe('a NUL where text reaches a query is a 400, never a 500', () => {
    const NUL = '%00';
    it.each([
      [
        'the unauthenticated sign-in',
        () => t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: 'ad\u0000min', password: 'x' } }),
      ],
      [
        'a sign-in with a lone surrogate',
        () => t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username: '\udc00', password: 'x' } }),
      ],
      [
        'the client API',
        () =>
          t.app.inject({
            method: 'POST',
            url: '/client/v1/resources',
            payload: { appId: 'A\u0000', workspaceId: 'default', platform: 'android', clientVersion: '1.0', miniPrograms: {} },
          }),
      ],
      [
        'the client API with a NUL in a map key',
        () =>
          t.app.inject({
            method: 'POST',
            url: '/client/v1/resources',
            payload: { appId: 'A', workspaceId: 'default', platform: 'android', clientVersion: '1.0', miniPrograms: { '\u0000': '*' } },
          }),
      ],
      ['the host app search', () => admin.get(`/api/v1/host-apps?query=a${NUL}b`)],
      ['the audit filter', () => admin.get(`/api/v1/audit-events?action=x${NUL}`)],
      ['a user name in the path', () => admin.delete(`/api/v1/users/ad${NUL}min`)],
      ['a token ID in the path', () => admin.delete(`/api/v1/tokens/x${NUL}`)],
    ])('on %s', async (_where, send) => {
      const res = await send();
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    });

    it('still signs the admin in afterwards (nothing was counted or broken)', async () => {
      expect((await Client.signIn(t.app)).cookie).toBeTruthy();
    });
  });

  describe('private keys', () => {
    let path: string;
    beforeAll(async () => {
      const app = (await admin.post('/api/v1/host-apps', { name: 'Key checks', workspaceId: 'ws-keys' })).json();
      path = `/api/v1/host-apps/ws-keys/${app.appId}/dev-config`;
    });
    const put = (form: FormData) => admin.request({ method: 'PUT', url: path, body: form as never });

    it('refuses an RSA key of more than 8192 bits with INVALID_PRIVATE_KEY saying the limit', async () => {
      const res = await put(devConfigForm('big.example.com', oversizedRsaKeyPem()));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('INVALID_PRIVATE_KEY');
      expect(res.json().detail).toMatch(/8320 bits; at most 8192/);
    });

    it('refuses a public exponent under 65537 with KEY_TOO_WEAK', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
      const res = await put(devConfigForm('e3.example.com', privateKey.export({ type: 'pkcs8', format: 'pem' }) as string));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('KEY_TOO_WEAK');
      expect(res.json().detail).toMatch(/public exponent is 3/);
    });

    it('refuses a PEM with two private keys instead of taking the first', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
      const res = await put(devConfigForm('two.example.com', `${sharedKey().pkcs8}\n${other}`));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('INVALID_PRIVATE_KEY');
      expect(res.json().detail).toMatch(/2 private keys/);
      expect((await admin.get(path)).statusCode).toBe(404); // still never configured
    });

    it('still accepts one good key', async () => {
      expect((await put(devConfigForm('ok.example.com', sharedKey().pkcs8))).statusCode).toBe(200);
    });
  });
});
