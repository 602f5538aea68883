import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ClientLimits, type Outcome, openClientLimits, tightestOf } from '../src/plugins/app/client-rate-limit.js';

/**
 * The client API's counters (plugins/app/client-rate-limit.ts) over `@fastify/rate-limit`'s real stores, without a
 * server: which counters a request counts, with which keys, and the outcomes the headers and the 429 are made from.
 * rate-limit.test.ts checks the same through the API (and over Redis); these pin each rule at its edge.
 */

const require = createRequire(import.meta.url);
type Store = ConstructorParameters<typeof ClientLimits>[0];
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (a: boolean, b: boolean, cache: number) => Store;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (a: boolean, b: boolean, r: Redis, key: string) => Store;

const limits = (perAddress: number, perDevice: number, perHostApp = 0) =>
  new ClientLimits(new LocalStore(false, false, 1000), { perAddress, perDevice, perHostApp });

/** The outcomes of one count (the in-memory store answers synchronously). */
function count(l: ClientLimits, ip: string | undefined, body?: Record<string, unknown>): (Outcome | undefined)[] {
  let got: (Outcome | undefined)[] | undefined;
  l.count(ip, body as never, (o) => {
    if (got) throw new Error('done was called twice');
    got = o;
  });
  if (!got) throw new Error('the in-memory store did not answer synchronously');
  return got;
}

const device = (deviceId: string, appId = 'A', workspaceId = 'ws') => ({ appId, workspaceId, deviceId });

describe('ClientLimits', () => {
  it('counts an address up to its limit and refuses past it, with the window in whole seconds', () => {
    const l = limits(2, 0);
    expect(count(l, '10.0.0.1')).toEqual([{ max: 2, remaining: 1, ttlInSeconds: 60, isExceeded: false }]);
    expect(count(l, '10.0.0.1')).toEqual([{ max: 2, remaining: 0, ttlInSeconds: 60, isExceeded: false }]);
    // Past the limit: exceeded, and the remaining count never goes below 0.
    expect(count(l, '10.0.0.1')).toEqual([{ max: 2, remaining: 0, ttlInSeconds: 60, isExceeded: true }]);
    expect(count(l, '10.0.0.1')[0]).toMatchObject({ remaining: 0, isExceeded: true });
    // Another address has its own counter.
    expect(count(l, '10.0.0.2')[0]).toMatchObject({ remaining: 1, isExceeded: false });
  });

  it('counts a device within its host app and its address, after the address', () => {
    const l = limits(10, 2);
    expect(count(l, '10.0.0.1', device('phone'))).toEqual([
      { max: 10, remaining: 9, ttlInSeconds: 60, isExceeded: false },
      undefined,
      { max: 2, remaining: 1, ttlInSeconds: 60, isExceeded: false },
    ]);
    expect(count(l, '10.0.0.1', device('phone'))[2]).toMatchObject({ remaining: 0, isExceeded: false });
    expect(count(l, '10.0.0.1', device('phone'))[2]).toMatchObject({ remaining: 0, isExceeded: true });
    // The same device ID from another address, of another host app or workspace, is another counter.
    expect(count(l, '10.0.0.9', device('phone'))[2]).toMatchObject({ remaining: 1 });
    expect(count(l, '10.0.0.1', device('phone', 'B'))[2]).toMatchObject({ remaining: 1 });
    expect(count(l, '10.0.0.1', device('phone', 'A', 'other'))[2]).toMatchObject({ remaining: 1 });
    // Another device of the same host app and address too.
    expect(count(l, '10.0.0.1', device('tablet'))[2]).toMatchObject({ remaining: 1 });
  });

  it('counts nothing else for a request over its address limit', () => {
    const l = limits(1, 5);
    expect(count(l, '10.0.0.1', device('phone'))).toHaveLength(3);
    const refused = count(l, '10.0.0.1', device('phone'));
    expect(refused).toEqual([{ max: 1, remaining: 0, ttlInSeconds: 60, isExceeded: true }]);
  });

  it('counts per address only when the body names no host app, or names it with other types', () => {
    const l = limits(10, 2, 3);
    expect(count(l, '10.0.0.1')).toHaveLength(1);
    expect(count(l, '10.0.0.1', { deviceId: 'phone' })).toHaveLength(1);
    expect(count(l, '10.0.0.1', { appId: 'A', deviceId: 'phone' })).toHaveLength(1);
    expect(count(l, '10.0.0.1', { workspaceId: 'ws', deviceId: 'phone' })).toHaveLength(1);
    expect(count(l, '10.0.0.1', { appId: 1, workspaceId: 'ws', deviceId: 'phone' })).toHaveLength(1);
    expect(count(l, '10.0.0.1', { appId: 'A', workspaceId: 1, deviceId: 'phone' })).toHaveLength(1);
    // A host app without a device (or with a device ID that is not a string): the host app only.
    const noDevice = count(l, '10.0.0.1', { appId: 'A', workspaceId: 'ws', deviceId: 7 });
    expect(noDevice).toEqual([expect.objectContaining({ max: 10 }), expect.objectContaining({ max: 3, remaining: 2 }), undefined]);
  });

  it('holds every device and address of a host app under its shared cap', () => {
    const l = limits(0, 0, 2);
    expect(count(l, '10.0.0.1', device('a'))).toEqual([
      undefined,
      { max: 2, remaining: 1, ttlInSeconds: 60, isExceeded: false },
      undefined,
    ]);
    expect(count(l, '10.0.0.2', device('b'))[1]).toMatchObject({ remaining: 0, isExceeded: false });
    expect(count(l, '10.0.0.3', device('c'))[1]).toMatchObject({ isExceeded: true });
    // Not another host app, nor the same app ID in another workspace.
    expect(count(l, '10.0.0.3', device('c', 'B'))[1]).toMatchObject({ remaining: 1 });
    expect(count(l, '10.0.0.3', device('c', 'A', 'other'))[1]).toMatchObject({ remaining: 1 });
  });

  it('counts no address without a per-address limit, and no device without a per-device one', () => {
    expect(count(limits(0, 2), '10.0.0.1', device('phone'))).toEqual([
      undefined,
      undefined,
      { max: 2, remaining: 1, ttlInSeconds: 60, isExceeded: false },
    ]);
    expect(count(limits(3, 0), '10.0.0.1', device('phone'))).toEqual([
      { max: 3, remaining: 2, ttlInSeconds: 60, isExceeded: false },
      undefined,
      undefined,
    ]);
  });

  it('takes a negative limit as off', () => {
    const off = new ClientLimits(new LocalStore(false, false, 10), { perAddress: -1, perDevice: -5, perHostApp: 0 });
    expect(off).toMatchObject({ perAddress: 0, perDevice: 0, perHostApp: 0 });
    expect(count(off, '10.0.0.1', device('phone'))).toEqual([undefined, undefined, undefined]);
  });

  it('opens no counters when every limit is off, and counters in memory when one is on', async () => {
    const log = pino({ level: 'silent' });
    const settings = { perAddress: 0, perDevice: -1, perHostApp: 0, redisPrefix: 'unit:' };
    expect((await openClientLimits(settings, log)).limits).toBeUndefined();
    for (const on of [{ perAddress: 1 }, { perDevice: 1 }, { perHostApp: 1 }]) {
      const opened = await openClientLimits({ ...settings, ...on }, log);
      expect(opened.limits).toBeInstanceOf(ClientLimits);
      await opened.close();
    }
  });

  describe('over a Redis that cannot be reached', () => {
    // A real client of a port where nothing listens, without an offline queue: every command fails at once.
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    redis.on('error', () => {});
    afterAll(() => redis.disconnect());

    it('counts nothing and refuses nothing', async () => {
      const l = new ClientLimits(new RedisStore(false, false, redis, 'unit:'), { perAddress: 1, perDevice: 1, perHostApp: 1 });
      for (let i = 0; i < 3; i++) {
        const outcomes = await new Promise<(Outcome | undefined)[]>((resolve) => l.count('10.0.0.1', device('phone') as never, resolve));
        expect(outcomes).toEqual([undefined, undefined, undefined]);
      }
    });
  });
});

describe('tightestOf', () => {
  const o = (max: number, remaining: number): Outcome => ({ max, remaining, ttlInSeconds: 60, isExceeded: false });

  it('is the counted limit with the fewest requests left; the first of equals', () => {
    expect(tightestOf([])).toBeUndefined();
    expect(tightestOf([undefined, undefined])).toBeUndefined();
    expect(tightestOf([o(100, 50), undefined, o(5, 4)])).toEqual(o(5, 4));
    expect(tightestOf([undefined, o(5, 4), o(100, 50)])).toEqual(o(5, 4));
    const first = o(10, 3);
    expect(tightestOf([first, o(20, 3)])).toBe(first);
  });
});
