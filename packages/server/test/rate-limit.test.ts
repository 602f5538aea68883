import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, devConfigForm, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';
import { dropKeys, REDIS_URL, redisUp } from './helpers/redis.js';

const redisIsUp = await redisUp();

const LIMITS = { MPOP_RATE_LIMIT_PER_DEVICE: '3', MPOP_RATE_LIMIT_PER_ADDRESS: '5' };

/** A configured host app, so that requests within the limits answer 200. */
async function hostApp(t: TestApp): Promise<string> {
  const admin = await Client.signIn(t.app);
  const { appId } = (
    await admin.post('/api/v1/host-apps', { name: `Limited ${randomBytes(3).toString('hex')}`, workspaceId: 'rl' })
  ).json();
  const res = await admin.put(`/api/v1/host-apps/rl/${appId}/dev-config`, devConfigForm('limited.example.com', rsaKey().pkcs8));
  expect(res.statusCode).toBe(200);
  return appId;
}

const ask = (t: TestApp, appId: string, address: string, deviceId?: string) =>
  t.app.inject({
    method: 'POST',
    url: '/client/v1/resources',
    remoteAddress: address,
    payload: { appId, workspaceId: 'rl', platform: 'ios', clientVersion: '1.0', miniPrograms: {}, ...(deviceId ? { deviceId } : {}) },
  });

function expectLimited(res: Awaited<ReturnType<typeof ask>>) {
  expect(res.statusCode).toBe(429);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.headers['ratelimit-remaining']).toBe('0');
}

describe.each([
  ['in memory', false],
  ['in Redis', true],
] as const)('client API rate limits (%s)', (_label, shared) => {
  // Two instances: with Redis they share the counters, so a client moving between them gains nothing.
  let a: TestApp;
  let b: TestApp;
  let appId: string;
  const prefix = `mpop-test-${randomBytes(6).toString('hex')}:`;

  beforeAll(async () => {
    if (shared && !redisIsUp) return;
    const env = { ...LIMITS, ...(shared ? { REDIS_URL, MPOP_REDIS_PREFIX: prefix } : {}) };
    a = await startApp('sqlite', env);
    b = shared ? await startApp('sqlite', { ...env, DATABASE_URL: a.config.databaseUrl, MPOP_DATA_DIR: a.dataDir }) : a;
    appId = await hostApp(a);
  });
  afterAll(async () => {
    if (b && b !== a) await b.close();
    await a?.destroy();
    if (shared && redisIsUp) await dropKeys(prefix);
  });

  it.skipIf(shared && !redisIsUp)('limits one device within its address, whatever instance it calls', async () => {
    const device = `phone-${randomBytes(4).toString('hex')}`;
    const first = await ask(a, appId, '10.1.0.1', device);
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit-limit']).toBe('3');
    expect(first.headers['ratelimit-remaining']).toBe('2');
    expect(Number(first.headers['ratelimit-reset'])).toBeGreaterThan(0);
    expect((await ask(b, appId, '10.1.0.1', device)).statusCode).toBe(200);
    expect((await ask(a, appId, '10.1.0.1', device)).statusCode).toBe(200);
    expectLimited(await ask(b, appId, '10.1.0.1', device));
    // Another device of the same host app, from the same address, is not held back.
    expect((await ask(a, appId, '10.1.0.1', `${device}-other`)).statusCode).toBe(200);
  });

  it.skipIf(shared && !redisIsUp)('does not let anyone elsewhere use up a device’s budget by sending its ID', async () => {
    const device = `victim-${randomBytes(4).toString('hex')}`;
    // Someone who learnt the device's ID sends it from another address until refused…
    for (let i = 0; i < 3; i++) expect((await ask(i % 2 ? b : a, appId, '10.1.1.66', device)).statusCode).toBe(200);
    expectLimited(await ask(a, appId, '10.1.1.66', device));
    // …and the device itself, from its own address, still has its whole budget.
    const own = await ask(b, appId, '10.1.1.1', device);
    expect(own.statusCode).toBe(200);
    expect(own.headers['ratelimit-remaining']).toBe('2');
  });

  it.skipIf(shared && !redisIsUp)(
    'limits one address, whatever devices call from it (a carrier NAT gets the configured share)',
    async () => {
      const address = `10.2.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
      for (let i = 0; i < 5; i++) expect((await ask(i % 2 ? b : a, appId, address, `nat-${i}`)).statusCode).toBe(200);
      expectLimited(await ask(b, appId, address, 'nat-5'));
      // Other addresses still pass.
      expect((await ask(a, appId, '10.3.0.1', 'elsewhere')).statusCode).toBe(200);
    },
  );

  it.skipIf(shared && !redisIsUp)('puts no shared cap on a host app unless configured', async () => {
    for (let i = 0; i < 25; i++) expect((await ask(i % 2 ? b : a, appId, `10.4.0.${i}`, `fleet-${i}`)).statusCode).toBe(200);
  });

  it.skipIf(shared && !redisIsUp)('tells the exceeded limit in the headers of a 429, and when to come back in its text', async () => {
    const device = `told-${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 3; i++) expect((await ask(a, appId, '10.8.0.1', device)).statusCode).toBe(200);
    const refused = await ask(b, appId, '10.8.0.1', device);
    expectLimited(refused);
    // The device's limit (3), not the address's (5, with 1 left).
    expect(refused.headers['ratelimit-limit']).toBe('3');
    expect(refused.headers['ratelimit-reset']).toBe(refused.headers['retry-after']);
    // The rest of the minute that began with the first request, not a second.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(30);
    expect(refused.json().detail).toBe(`Too many requests; try again in ${refused.headers['retry-after']} seconds.`);
  });

  it.skipIf(shared && !redisIsUp)(
    'counts a body refused before the limits against its address, once, and refuses it past the limit',
    async () => {
      const address = '10.9.0.1';
      const broken = (t: TestApp) =>
        t.app.inject({
          method: 'POST',
          url: '/client/v1/resources',
          remoteAddress: address,
          headers: { 'content-type': 'application/json' },
          payload: '{not json',
        });
      for (let i = 0; i < 5; i++) {
        const res = await broken(i % 2 ? b : a);
        expect(res.statusCode).toBe(400);
        expect(res.json().code).toBe('MALFORMED_REQUEST');
      }
      // Past the address's limit, a broken body is refused as one request too many, and so is a valid one.
      expectLimited(await broken(a));
      expectLimited(await ask(b, appId, address, 'after-broken'));
    },
  );

  it.skipIf(shared && !redisIsUp)('counts a body the schema refuses once (by the limits, not again by the refusal)', async () => {
    const address = '10.9.1.1';
    for (let i = 0; i < 5; i++) {
      const res = await (i % 2 ? b : a).app.inject({
        method: 'POST',
        url: '/client/v1/resources',
        remoteAddress: address,
        payload: { appId, workspaceId: 'rl', platform: 'windows', clientVersion: '1.0', miniPrograms: {} },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(res.headers['ratelimit-limit']).toBe('5');
      expect(res.headers['ratelimit-remaining']).toBe(String(4 - i));
    }
    expectLimited(await ask(a, appId, address, 'after-invalid'));
  });

  it.skipIf(shared && !redisIsUp)('counts requests without a deviceId per address only', async () => {
    for (let i = 0; i < 5; i++) expect((await ask(a, appId, '10.5.0.1')).statusCode).toBe(200);
    expectLimited(await ask(b, appId, '10.5.0.1'));
  });
});

describe('a shared cap per host app, when configured', () => {
  let t: TestApp;
  let appId: string;
  beforeAll(async () => {
    t = await startApp('sqlite', { ...LIMITS, MPOP_RATE_LIMIT_PER_HOST_APP: '4' });
    appId = await hostApp(t);
  });
  afterAll(() => t.destroy());

  it('holds all devices of one host app together, and no other host app', async () => {
    for (let i = 0; i < 4; i++) expect((await ask(t, appId, `10.6.0.${i}`, `d${i}`)).statusCode).toBe(200);
    expectLimited(await ask(t, appId, '10.6.0.9', 'd9'));
    const other = await hostApp(t);
    expect((await ask(t, other, '10.6.0.9', 'd9')).statusCode).toBe(200);
  });
});

describe('a limit per device only', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { MPOP_RATE_LIMIT_PER_DEVICE: '2', MPOP_RATE_LIMIT_PER_ADDRESS: '0' });
  });
  afterAll(() => t.destroy());

  it('lets a request that names no device through without RateLimit headers, and limits one that does', async () => {
    const appId = await hostApp(t);
    for (let i = 0; i < 4; i++) {
      const res = await ask(t, appId, '10.7.1.1');
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-limit']).toBeUndefined();
    }
    const first = await ask(t, appId, '10.7.1.1', 'counted');
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit-limit']).toBe('2');
    expect((await ask(t, appId, '10.7.1.1', 'counted')).statusCode).toBe(200);
    expectLimited(await ask(t, appId, '10.7.1.1', 'counted'));
  });
});

describe('rate limits turned off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { MPOP_RATE_LIMIT_PER_DEVICE: '0', MPOP_RATE_LIMIT_PER_ADDRESS: '0' });
  });
  afterAll(() => t.destroy());

  it('lets every request through with 0, and sends no RateLimit headers', async () => {
    const appId = await hostApp(t);
    for (let i = 0; i < 30; i++) {
      const res = await ask(t, appId, '10.7.0.1', 'same-device');
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-limit']).toBeUndefined();
    }
  });
});
