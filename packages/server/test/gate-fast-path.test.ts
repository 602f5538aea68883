import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ROUTE_HOOKS } from '../src/routes/client/gate-pipeline.js';
import { Client, type DialectName, devConfigForm, dialects, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';
import { miniProgramZip, packageForm, releasedMiniProgram } from './helpers/packages.js';
import { dropKeys, REDIS_URL, redisUp } from './helpers/redis.js';

/**
 * The gate's fast path (routes/client/resources-fast-path.ts) answers `POST /client/v1/resources` over real HTTP
 * (`inject` does not pass through it). Every test here sends real requests, and the differential ones send each
 * request twice, with the fast path on and off: the answers must be the same. They run on every database of the
 * run, with the rate-limit counters in memory and in Redis.
 */

const redisIsUp = await redisUp();
/** Database × where the limits count: each dialect in memory, and the last one (PostgreSQL when present) in Redis. */
const setups: [DialectName, 'memory' | 'Redis'][] = [
  ...dialects.map((d) => [d, 'memory'] as [DialectName, 'memory']),
  ...(redisIsUp ? [[dialects.at(-1)!, 'Redis'] as [DialectName, 'Redis']] : []),
];
const envFor = (store: 'memory' | 'Redis', prefix: string): Record<string, string> =>
  store === 'Redis' ? { REDIS_URL, MPOP_REDIS_PREFIX: prefix } : {};

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** A raw HTTP POST: the body as given (a string or chunks sent apart), the headers exactly as given. */
function post(url: string, body: string | string[], headers: Record<string, string> = {}): Promise<Answer> {
  const chunks = typeof body === 'string' ? [body] : body;
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/client/v1/resources`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(chunks.reduce((n, c) => n + Buffer.byteLength(c), 0)),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    (async () => {
      for (const [i, c] of chunks.entries()) {
        req.write(c);
        if (i < chunks.length - 1) await new Promise((r) => setTimeout(r, 20));
      }
      req.end();
    })();
  });
}

/** What must be equal between the two paths: status, body and every header but the per-request ones. */
function comparable(a: Answer) {
  const { date, 'x-request-id': _id, 'ratelimit-remaining': _r, 'ratelimit-reset': _s, ...headers } = a.headers;
  return { status: a.status, headers, body: a.body };
}

async function listening(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

async function configuredHostApp(admin: Client, workspaceId: string, name: string) {
  const { appId } = (await admin.post('/api/v1/host-apps', { name, workspaceId })).json();
  const res = await admin.put(`/api/v1/host-apps/${workspaceId}/${appId}/dev-config`, devConfigForm('fast.example.com', rsaKey().pkcs8));
  expect(res.statusCode).toBe(200);
  return appId as string;
}

describe.each(setups)('the gate fast path (%s, limits in %s)', (dialect, store) => {
  const prefix = `mpop-test-${randomBytes(6).toString('hex')}:`;
  let t: TestApp;
  let url: string;
  let appId: string;
  let unconfigured: string;
  let programs: string[];
  const request = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ appId, workspaceId: 'fast', platform: 'android', clientVersion: '10.2.3', miniPrograms: {}, ...extra });

  /** Sends the same request with the fast path on, then off; returns both answers and whether the fast path answered. */
  async function both(body: string | string[], headers: Record<string, string> = {}) {
    const before = t.app.gateFastPath.answered;
    const fast = await post(url, body, headers);
    const tookIt = t.app.gateFastPath.answered > before;
    t.app.gateFastPath.enabled = false;
    try {
      const route = await post(url, body, headers);
      expect(t.app.gateFastPath.answered).toBe(before + (tookIt ? 1 : 0));
      return { fast, route, tookIt };
    } finally {
      t.app.gateFastPath.enabled = true;
    }
  }

  beforeAll(async () => {
    t = await startApp(dialect, {
      MPOP_RATE_LIMIT_PER_ADDRESS: '1000000',
      MPOP_RATE_LIMIT_PER_DEVICE: '1000000',
      ...envFor(store, prefix),
    });
    url = await listening(t);
    const admin = await Client.signIn(t.app);
    appId = await configuredHostApp(admin, 'fast', 'Fast Path');
    unconfigured = (await admin.post('/api/v1/host-apps', { name: 'Fast Unconfigured', workspaceId: 'fast' })).json().appId;
    programs = [];
    // The second only for Android clients from 10.0: the answer depends on the platform and the client's version.
    for (const [name, fields] of [
      ['Fast One', {}],
      ['Fast Two', { platform: 'android', clientVersionMin: '10.0' }],
    ] as const) {
      const { id } = await releasedMiniProgram(admin, name, '1.0.0.1', fields);
      expect((await admin.put(`/api/v1/host-apps/fast/${appId}/mini-programs/${id}`)).statusCode).toBe(200);
      programs.push(id);
    }
  });
  afterAll(async () => {
    await t.destroy();
    if (store === 'Redis') await dropKeys(prefix);
  });

  it('runs the hooks GatePipeline mirrors on the route, no more and no fewer', () => {
    // A hook added to (or removed from) the route must be mirrored by the fast path: change GatePipeline (and
    // ROUTE_HOOKS) with it. printRoutes names each stage's hooks in order.
    const printed = t.app.printRoutes({ includeHooks: true, commonPrefix: false, method: 'POST' }).split('\n');
    const at = printed.findIndex((l) => l.includes('/client/v1/resources (POST)'));
    expect(at).toBeGreaterThanOrEqual(0);
    const hooks: Record<string, string[]> = {};
    for (const line of printed.slice(at + 1)) {
      const m = /• \((\w+)\) (\[.*\])$/.exec(line);
      if (!m) break;
      hooks[m[1]] = JSON.parse(m[2]);
    }
    expect(hooks).toEqual(Object.fromEntries(Object.entries(ROUTE_HOOKS).map(([stage, names]) => [stage, Object.keys(names)])));
  });

  it('answers a cached host app itself, with the bytes and headers the route sends', async () => {
    // The route answers the first request (the fast path learns its validator from it); the fast path the next ones.
    const first = await both(request());
    expect(first.tookIt).toBe(false);
    expect(first.fast.status).toBe(200);

    for (const body of [
      request(),
      request({ miniPrograms: { [programs[0]]: '*' } }),
      request({ deviceId: 'device-1', miniPrograms: { [programs[1]]: '*' } }),
      request({ platform: 'ios', clientVersion: '1.0' }),
    ]) {
      const { fast, route, tookIt } = await both(body);
      expect(tookIt).toBe(true);
      expect(fast.status).toBe(200);
      expect(comparable(fast)).toEqual(comparable(route));
      expect(fast.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number(fast.headers['ratelimit-remaining'])).toBeGreaterThan(0);
    }
    const served = async (extra: Record<string, unknown>) =>
      JSON.parse((await post(url, request(extra))).body)
        .resources.map((r: { miniProgramId: string }) => r.miniProgramId)
        .sort();
    expect(await served({})).toEqual([...programs].sort());
    // More app versions than the answers a host app keeps (4): each still gets its own answer.
    for (const clientVersion of ['9.0', '10.0', '11.0', '12.0', '13.0', '9.0', '10.0', '9.5']) {
      const { fast, route, tookIt } = await both(request({ clientVersion }));
      expect(tookIt).toBe(true);
      expect(comparable(fast), clientVersion).toEqual(comparable(route));
      expect(JSON.parse(fast.body).resources).toHaveLength(clientVersion.startsWith('9') ? 1 : 2);
    }
    // The media type in other letter cases and with its charset is the same JSON to both paths.
    for (const type of ['Application/JSON', 'application/json; charset=UTF-8', 'application/json;charset="utf-8"']) {
      const { fast, route, tookIt } = await both(request(), { 'content-type': type });
      expect(tookIt, type).toBe(true);
      expect(comparable(fast), type).toEqual(comparable(route));
    }
    expect(await served({ platform: 'ios' })).toEqual([programs[0]]);
    expect(await served({ clientVersion: '9.9' })).toEqual([programs[0]]);
    expect(await served({})).toEqual([...programs].sort());
  });

  it('serves a change at once, and during a gray release gives each device what the route gives it', async () => {
    const admin = await Client.signIn(t.app);
    const ids = (body: string) =>
      JSON.parse(body)
        .resources.map((r: { miniProgramId: string; version: string }) => `${r.miniProgramId}@${r.version}`)
        .sort();
    const before = ids((await post(url, request())).body);
    expect((await post(url, request())).body).toBe((await post(url, request())).body); // the same bytes, asked again

    // A new version released to 50 % of the devices: the answer now depends on the device.
    const zip = await miniProgramZip('pages/v2/index', { 'v.txt': 'fast path v2' });
    expect((await admin.post(`/api/v1/mini-programs/${programs[0]}/packages`, packageForm({ version: '2.0.0.0' }, zip))).statusCode).toBe(
      201,
    );
    const gray = await admin.post(`/api/v1/mini-programs/${programs[0]}/packages/2.0.0.0/release`, { rollout: { percent: 50 } });
    expect(gray.statusCode, gray.body).toBe(200);
    const seen = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const { fast, route, tookIt } = await both(request({ deviceId: `gray-${i}` }));
      expect(tookIt).toBe(true);
      expect(comparable(fast)).toEqual(comparable(route));
      seen.add(ids(fast.body).join());
    }
    expect(seen.size).toBe(2); // some devices got 2.0.0.0, others kept 1.0.0.1
    expect(ids((await post(url, request())).body)).toEqual(before); // no device ID: the previous version until 100 %

    // At 100 %, every device (and the answer kept for "everything") has the new version.
    const releaseId = gray.json().releaseId;
    const full = await admin.request({
      method: 'PATCH',
      url: `/api/v1/mini-programs/${programs[0]}/releases/${releaseId}`,
      payload: { percent: 100 },
    });
    expect(full.statusCode, full.body).toBe(200);
    const { fast, route, tookIt } = await both(request());
    expect(tookIt).toBe(true);
    expect(comparable(fast)).toEqual(comparable(route));
    expect(ids(fast.body)).toContain(`${programs[0]}@2.0.0.0`);
  });

  it('keeps the caller’s request id and takes a body that arrives in pieces', async () => {
    const body = request({ deviceId: 'pieces' });
    const before = t.app.gateFastPath.answered;
    const res = await post(url, [body.slice(0, 10), body.slice(10)], { 'x-request-id': 'launch-42' });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('launch-42');
    expect(t.app.gateFastPath.answered).toBe(before + 1);
    expect(res.body).toBe((await post(url, body)).body);
  });

  it('leaves every other request to the route, which answers it as if the fast path were not there', async () => {
    const cases: [string, Record<string, string>][] = [
      ['{"appId":', {}], // malformed JSON
      ['{"__proto__":{"x":1},"appId":"a"}', {}], // prototype poisoning
      [JSON.stringify({ appId, workspaceId: 'fast' }), {}], // fields missing
      [request({ extra: true }), {}], // an unknown field
      [request({ clientVersion: {} }), {}], // a wrong type
      [request({ miniPrograms: { [programs[0]]: '*', unknown: '*' } }), {}], // not a mini program ID
      [request({ deviceId: 'a\u0000b' }), {}], // a NUL
      [request({ miniPrograms: { [programs[0]]: '1.0\u0000' } }), {}], // a NUL where the schema takes any text
      [request({ miniPrograms: { [programs[0]]: '\ud800' } }), {}], // a lone surrogate
      [request({ appId: 'NOSUCHAPP' }), {}], // not registered
      [request({ appId: unconfigured }), {}], // not configured
      [request(), { 'content-type': 'text/plain' }], // another content type
      [request(), { 'content-type': 'application/json; charset=latin1' }], // the route takes it (200), the fast path leaves it
    ];
    for (const [body, headers] of cases) {
      const { fast, route, tookIt } = await both(body, headers);
      expect(tookIt, body).toBe(false);
      if (!headers['content-type']?.includes('charset')) expect(fast.status, body).toBeGreaterThanOrEqual(400);
      expect(comparable(fast), body).toEqual(comparable(route));
    }
  });

  it('answers any request exactly as the route does (property-based)', async () => {
    const field = fc.oneof(
      fc.string(),
      fc.constantFrom('', '\u0000', '\ud800', '1.0', '10.2.3', 'android', 'ios'),
      fc.integer(),
      fc.boolean(),
    );
    const body = fc.record(
      {
        appId: fc.oneof(fc.constant(appId), fc.constant(unconfigured), field),
        workspaceId: fc.oneof(fc.constant('fast'), field),
        platform: fc.oneof(fc.constantFrom('android', 'ios'), field),
        clientVersion: fc.oneof(fc.constantFrom('1.0', '10.2.3', '99.0.0'), field),
        deviceId: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), field),
        miniPrograms: fc.oneof(
          fc.constant({}),
          fc.dictionary(
            fc.oneof(fc.constantFrom(...programs), fc.string()),
            fc.oneof(fc.constantFrom('*', '1.0.0.1', '>=1.0.0.0', 'x', '\u0000', 'x\ud800'), fc.string({ maxLength: 8 })),
          ),
          field,
        ),
        extra: field,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const { fast, route } = await both(JSON.stringify(b));
        expect(comparable(fast)).toEqual(comparable(route));
      }),
      { numRuns: 150 },
    );
  });

  it('answers most valid requests itself, exactly as the route would (property-based, biased to valid bodies)', async () => {
    const valid = fc.record(
      {
        appId: fc.constant(appId),
        workspaceId: fc.constant('fast'),
        platform: fc.constantFrom('android', 'ios'),
        clientVersion: fc.oneof(
          fc.constantFrom('1.0', '9.9', '10.2.3', '11'),
          fc.tuple(fc.nat(20), fc.nat(99)).map(([a, b]) => `${a}.${b}`),
        ),
        deviceId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
        miniPrograms: fc.oneof(
          fc.constant({}),
          fc
            .subarray(programs, { minLength: 1 })
            .chain((ids) =>
              fc
                .tuple(...ids.map(() => fc.constantFrom('*', '1.0.0.1', '0.9.0.0')))
                .map((vs) => Object.fromEntries(ids.map((id, i) => [id, vs[i]]))),
            ),
        ),
      },
      { requiredKeys: ['appId', 'workspaceId', 'platform', 'clientVersion', 'miniPrograms'] },
    );
    // One body in ten has one field spoilt: the fast path must leave those to the route.
    const spoilt = fc
      .tuple(valid, fc.constantFrom('appId', 'clientVersion', 'deviceId', 'extra'), fc.constantFrom('', '\u0000', 'x y', 7))
      .map(([b, k, v]) => ({ ...b, [k]: v }));
    let taken = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: valid, weight: 9 }, { arbitrary: spoilt, weight: 1 }), async (b) => {
        const { fast, route, tookIt } = await both(JSON.stringify(b));
        expect(comparable(fast)).toEqual(comparable(route));
        expect(tookIt).toBe(fast.status === 200);
        runs++;
        if (tookIt) taken++;
      }),
      { numRuns: 120 },
    );
    // The differential check above is worth something only if the fast path answered most of it.
    expect(taken / runs).toBeGreaterThanOrEqual(0.75);
  });

  it('writes the request log lines the route writes', async () => {
    await post(url, request(), { 'x-request-id': 'fast-logged' });
    t.app.gateFastPath.enabled = false;
    await post(url, request(), { 'x-request-id': 'route-logged' });
    t.app.gateFastPath.enabled = true;
    const lines = (id: string) =>
      t
        .logs()
        .split('\n')
        .filter((l) => l.includes(`"reqId":"${id}"`))
        .map((l) => {
          const { time, responseTime, reqId, req, ...rest } = JSON.parse(l);
          expect(typeof time).toBe('number');
          return { ...rest, req: req && { ...req, remotePort: typeof req.remotePort } };
        });
    const fast = lines('fast-logged');
    expect(fast.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    expect(fast).toEqual(lines('route-logged'));
  });

  it('counts its answers in the metrics', async () => {
    const metric = async (name: string) => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      const line = text.split('\n').find((l) => l.startsWith(name));
      return Number(line?.split(' ').pop() ?? 0);
    };
    const served = 'mpop_gate_answers_total{outcome="served"}';
    const requests = 'mpop_http_requests_total{method="POST",route="/client/v1/resources",status="200"}';
    const hits = 'mpop_gate_cache_lookups_total{result="hit"}';
    const before = [await metric(served), await metric(requests), await metric(hits)];
    const answered = t.app.gateFastPath.answered;
    for (let i = 0; i < 3; i++) expect((await post(url, request())).status).toBe(200);
    expect(t.app.gateFastPath.answered).toBe(answered + 3);
    expect([await metric(served), await metric(requests), await metric(hits)]).toEqual(before.map((n) => n + 3));
  });
});

describe.each(setups)('the gate fast path and the rate limits (%s, limits in %s)', (dialect, store) => {
  const prefix = `mpop-test-${randomBytes(6).toString('hex')}:`;
  let t: TestApp;
  let url: string;
  let appId: string;
  const ask = (deviceId: string, headers: Record<string, string> = {}) =>
    post(url, JSON.stringify({ appId, workspaceId: 'limits', platform: 'ios', clientVersion: '1.0', miniPrograms: {}, deviceId }), headers);

  beforeAll(async () => {
    t = await startApp(dialect, {
      MPOP_RATE_LIMIT_PER_DEVICE: '3',
      MPOP_RATE_LIMIT_PER_ADDRESS: '6',
      MPOP_TRUST_PROXY: 'true',
      ...envFor(store, prefix),
    });
    url = await listening(t);
    const admin = await Client.signIn(t.app);
    appId = await configuredHostApp(admin, 'limits', 'Fast Limits');
  });
  afterAll(async () => {
    await t.destroy();
    if (store === 'Redis') await dropKeys(prefix);
  });

  it('counts each request once, per device and per address, whichever path answers it', async () => {
    const from = { 'x-forwarded-for': '203.0.113.7' };
    const statuses: number[] = [];
    const remaining: string[] = [];
    const before = t.app.gateFastPath.answered;
    for (const device of ['d1', 'd1', 'd1', 'd1', 'd2', 'd2', 'd3']) {
      const res = await ask(device, from);
      statuses.push(res.status);
      remaining.push(String(res.headers['ratelimit-remaining']));
    }
    // d1: 3 per device, the 4th refused; d2: two more (addresses: 6 in all); d3: the 7th from the address, refused.
    expect(statuses).toEqual([200, 200, 200, 429, 200, 200, 429]);
    expect(remaining).toEqual(['2', '1', '0', '0', '1', '0', '0']);
    // The route answered the first (the fast path learns from it) and the 429s; the fast path the other 4.
    expect(t.app.gateFastPath.answered).toBe(before + 4);

    // Another address (the proxy's X-Forwarded-For is trusted) has its own count.
    const other = await ask('d3', { 'x-forwarded-for': '203.0.113.8' });
    expect(other.status).toBe(200);
    expect(other.headers['ratelimit-remaining']).toBe('2');
    const limited = await ask('d4', from);
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});
