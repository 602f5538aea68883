import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome } from '../src/plugins/app/client-rate-limit.js';
import type { RequestView } from '../src/routes/client/gate-pipeline.js';
import { Client, devConfigForm, startApp, type TestApp } from './helpers/app.js';
import { rsaKey } from './helpers/keys.js';

/**
 * The steps of the gate's fast path (routes/client/gate-pipeline.ts) of a real app, one by one: what each takes and
 * leaves to the route. gate-fast-path.test.ts compares the whole path with the route over real HTTP; this pins each
 * step's edges, which that comparison reaches only through the answers (SQLite only: no query differs).
 */

const LIMITS = { MPOP_RATE_LIMIT_PER_DEVICE: '3', MPOP_RATE_LIMIT_PER_ADDRESS: '5' };
/** Fastify's JSON parser reads only the text: the view stands for a request that has no other part to read. */
const view = { raw: {}, headers: {}, socket: {} } as unknown as RequestView;

describe('the gate pipeline', () => {
  let t: TestApp;
  let appId: string;
  const body = () => ({ appId, workspaceId: 'gp', platform: 'ios', clientVersion: '1.0', miniPrograms: {}, deviceId: 'phone' });
  const pipeline = () => t.app.gateFastPath.pipeline;

  beforeAll(async () => {
    t = await startApp('sqlite', LIMITS);
    const admin = await Client.signIn(t.app);
    appId = (await admin.post('/api/v1/host-apps', { name: 'Pipeline', workspaceId: 'gp' })).json().appId;
    const res = await admin.put(`/api/v1/host-apps/gp/${appId}/dev-config`, devConfigForm('pipeline.example.com', rsaKey().pkcs8));
    expect(res.statusCode).toBe(200);
  });
  afterAll(() => t.destroy());

  it('takes a valid body, and walks one with an escape (taken when harmless)', () => {
    expect(pipeline().accept(view, JSON.stringify(body()))).toEqual(body());
    expect(pipeline().accept(view, JSON.stringify(body()).replace('"phone"', '"ph\\u006fne"'))).toEqual(body());
  });

  it('leaves to the route what it would refuse: not JSON, a poisoned prototype, an invalid or a hostile body', () => {
    const valid = JSON.stringify(body());
    for (const text of [
      '',
      '{not json',
      'null',
      valid.replace('{', '{"__proto__":{"x":1},'),
      valid.replace('{', '{"constructor":{"prototype":{"x":1}},'),
      JSON.stringify({ ...body(), platform: 'windows' }),
      JSON.stringify({ ...body(), extra: 1 }),
      valid.replace('"phone"', '"ph\\u0000one"'),
      valid.replace('"phone"', '"ph\\ud800one"'),
    ]) {
      expect(pipeline().accept(view, text), text).toBeUndefined();
    }
  });

  it('counts with the route’s limits: the address, and the device within it', () => {
    let outcomes: (Outcome | undefined)[] = [];
    pipeline().count('10.20.0.1', body() as never, (o) => {
      outcomes = o;
    });
    expect(outcomes).toEqual([
      { max: 5, remaining: 4, ttlInSeconds: 60, isExceeded: false },
      undefined,
      { max: 3, remaining: 2, ttlInSeconds: 60, isExceeded: false },
    ]);
  });

  it('answers with the route’s bytes for a cached host app, and rejects a refusal with its problem', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/client/v1/resources', payload: body() });
    expect(res.statusCode).toBe(200);
    const answer = pipeline().answer(body() as never);
    expect(Buffer.isBuffer(answer)).toBe(true);
    expect((answer as Buffer).toString()).toBe(res.body);
    // A host app the gate does not know: looked up and refused (the fast path then leaves it to the route).
    const unknown = pipeline().answer({ ...body(), appId: 'NOPE' } as never);
    expect(unknown).toBeInstanceOf(Promise);
    await expect(unknown).rejects.toMatchObject({ code: expect.any(String) });
  });

  it('says a limit is exceeded only when one is', () => {
    const within: Outcome = { max: 5, remaining: 1, ttlInSeconds: 60, isExceeded: false };
    expect(pipeline().exceeded([])).toBe(false);
    expect(pipeline().exceeded([within, undefined, within])).toBe(false);
    expect(pipeline().exceeded([within, undefined, { ...within, remaining: 0, isExceeded: true }])).toBe(true);
    expect(pipeline().exceeded([{ ...within, remaining: 0, isExceeded: true }])).toBe(true);
  });

  it('hands a request over with its body and outcomes, to that request only', () => {
    const req = {} as never;
    expect(pipeline().handedOver(req)).toBeUndefined();
    const state = { body: Buffer.from('{}'), outcomes: [] };
    pipeline().handOver(req, state);
    expect(pipeline().handedOver(req)).toBe(state);
    expect(pipeline().handedOver({} as never)).toBeUndefined();
  });

  it('sends the route’s headers, in its order, with the tightest limit', () => {
    const answer = Buffer.from('{"resources":[]}');
    const address: Outcome = { max: 5, remaining: 4, ttlInSeconds: 60, isExceeded: false };
    const device: Outcome = { max: 3, remaining: 2, ttlInSeconds: 59, isExceeded: false };
    const headers = pipeline().headers('req-1', [address, undefined, device], answer);
    expect(Object.entries(headers)).toEqual([
      ['x-request-id', 'req-1'],
      ['x-content-type-options', 'nosniff'],
      ['ratelimit-limit', 3],
      ['ratelimit-remaining', 2],
      ['ratelimit-reset', 59],
      ['content-type', 'application/json; charset=utf-8'],
      ['content-length', answer.length],
    ]);
    expect(Object.keys(pipeline().headers('req-2', [], answer))).toEqual([
      'x-request-id',
      'x-content-type-options',
      'content-type',
      'content-length',
    ]);
  });
});

describe('the gate pipeline without rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { MPOP_RATE_LIMIT_PER_DEVICE: '0', MPOP_RATE_LIMIT_PER_ADDRESS: '0' });
  });
  afterAll(() => t.destroy());

  it('counts nothing', () => {
    expect(t.app.gateFastPath.pipeline.limits).toBeUndefined();
    let outcomes: (Outcome | undefined)[] | undefined;
    t.app.gateFastPath.pipeline.count('10.20.0.1', { appId: 'A', workspaceId: 'ws', deviceId: 'd' } as never, (o) => {
      outcomes = o;
    });
    expect(outcomes).toEqual([]);
  });
});
