import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordHashBacklog } from '../src/lib/crypto.js';
import { MAX_PASSWORD_CHECKS } from '../src/modules/auth/auth.service.js';
import { addressKey, DEFAULT_LIMITS, LoginThrottle, Throttled } from '../src/modules/auth/login-throttle.js';
import { ADMIN, Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { incompressibleZip, packageForm } from './helpers/packages.js';

const MIN = 60_000;

describe('LoginThrottle', () => {
  const throttled = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      if (err instanceof Throttled) return err.retryAfterSeconds;
      throw err;
    }
    return 0;
  };

  it('counts attempts in flight: the sixth concurrent guess is refused before any password is checked', () => {
    const t = new LoginThrottle();
    const inFlight = Array.from({ length: 5 }, () => t.begin('admin', '10.0.0.1', 0));
    expect(throttled(() => t.begin('admin', '10.0.0.1', 0))).toBe(1);
    inFlight[0].succeed();
    expect(throttled(() => t.begin('admin', '10.0.0.1', 0).cancel())).toBe(0);
  });

  it('locks a (user, address) pair after 5 failures, for 1 minute, then 2, then 4 (doubling), up to a day', () => {
    const t = new LoginThrottle();
    let now = 0;
    const failFive = () => {
      for (let i = 0; i < 5; i++) t.begin('admin', '10.0.0.1', now).fail(now);
    };
    failFive();
    expect(throttled(() => t.begin('admin', '10.0.0.1', now))).toBe(60);
    now += MIN;
    failFive();
    expect(throttled(() => t.begin('admin', '10.0.0.1', now))).toBe(120);
    now += 2 * MIN;
    failFive();
    expect(throttled(() => t.begin('admin', '10.0.0.1', now))).toBe(240);
    for (let i = 0; i < 20; i++) {
      now += 24 * 60 * MIN;
      failFive();
    }
    expect(throttled(() => t.begin('admin', '10.0.0.1', now))).toBe(24 * 3600);
  });

  it('never locks the user out from another address', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 5; i++) t.begin('admin', '10.0.0.1', 0).fail(0);
    expect(throttled(() => t.begin('admin', '10.0.0.1', 0))).toBeGreaterThan(0);
    expect(throttled(() => t.begin('Admin', '10.0.0.2', 0).succeed())).toBe(0);
  });

  it('locks an address after 20 failures whatever the user names', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 20; i++) t.begin(`user${i}`, '10.0.0.1', 0).fail(0);
    expect(throttled(() => t.begin('someone-else', '10.0.0.1', 0))).toBe(60);
  });

  it("forgives the pair on success, but not the address (one's own account cannot reset guesses at another's)", () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 4; i++) t.begin('admin', '10.0.0.1', 0).fail(0);
    for (let i = 0; i < 15; i++) t.begin(`x${i}`, '10.0.0.1', 0).fail(0);
    t.begin('mallory', '10.0.0.1', 0).succeed();
    expect(throttled(() => t.begin('admin', '10.0.0.1', 0).fail(0))).toBe(0); // the 20th failure of the address
    expect(throttled(() => t.begin('mallory', '10.0.0.1', 0))).toBe(60);
  });

  it('starts afresh after a day without failures', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 5; i++) t.begin('admin', '10.0.0.1', 0).fail(0);
    const next = 24 * 60 * MIN + MIN + 1;
    for (let i = 0; i < 5; i++) t.begin('admin', '10.0.0.1', next).fail(next);
    expect(throttled(() => t.begin('admin', '10.0.0.1', next))).toBe(60); // the first lock again, not the second
  });

  it('counts IPv6 addresses by their /64, and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::FFFF:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:203.113.12.34')).toBe('203.113.12.34');
    // Only a mapped address is IPv4: an IPv6 address that ends in one (NAT64) counts by its /64.
    expect(addressKey('64:ff9b::ffff:192.0.2.7')).toBe('64:ff9b:0:0::/64');
    // Groups right of `::` that reach the /64, leading zeros, capitals: the same key as the canonical form.
    expect(addressKey('2001::1:2:3:4:5:6')).toBe('2001:0:1:2::/64');
    expect(addressKey('::1:2:3:4:5:6')).toBe('0:0:1:2::/64');
    expect(addressKey('2001:0DB8:0000:0002::1')).toBe('2001:db8:0:2::/64');
    expect(addressKey('2001:db8:0:2:0:0:0:1')).toBe('2001:db8:0:2::/64');
    const t = new LoginThrottle();
    for (let i = 0; i < 20; i++) t.begin(`u${i}`, `2001:db8:1:2::${i.toString(16)}`, 0).fail(0);
    expect(throttled(() => t.begin('v', '2001:db8:1:2:ffff::1', 0))).toBe(60);
  });

  it('keeps a bounded number of keys however many addresses spray it', () => {
    const t = new LoginThrottle({ ...DEFAULT_LIMITS, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) t.begin('admin', `10.1.${i >> 8}.${i & 255}`, 0).fail(0);
    expect(t.size).toBe(100); // exactly the bound: no more keys go than needed
  });

  it('over the bound by one key, evicts exactly one: the next oldest keeps its failures', () => {
    const t = new LoginThrottle({ ...DEFAULT_LIMITS, perUserAddress: 2, maxKeys: 3 });
    t.begin('a', '10.0.0.1', 0).fail(0); // u:a, a:10.0.0.1
    t.begin('b', '10.0.0.1', 0).fail(0); // u:b: 3, the bound
    t.begin('c', '10.0.0.1', 0).fail(0); // u:c: 4, u:a goes
    expect(t.size).toBe(3);
    expect(t.begin('b', '10.0.0.1', 0).fail(0)).toBe(60); // b's first failure was kept
  });

  const spray = (t: LoginThrottle, n: number, now = 0) => {
    for (let i = 0; i < n; i++) t.begin('spray', `10.2.${i >> 8}.${i & 255}`, now).fail(now);
  };

  it('a spray of addresses cannot evict a locked key: the lock holds', () => {
    const t = new LoginThrottle({ ...DEFAULT_LIMITS, maxKeys: 10 });
    for (let i = 0; i < 5; i++) t.begin('admin', '10.0.0.1', 0).fail(0);
    spray(t, 500);
    expect(t.size).toBeLessThanOrEqual(11); // the locked pair, and at most the bound besides
    expect(throttled(() => t.begin('admin', '10.0.0.1', 0))).toBe(60);
  });

  it('a spray of addresses cannot evict a key with attempts in flight: they still count', () => {
    const t = new LoginThrottle({ ...DEFAULT_LIMITS, maxKeys: 10 });
    const inFlight = Array.from({ length: 5 }, () => t.begin('admin', '10.0.0.1', 0));
    spray(t, 500);
    expect(throttled(() => t.begin('admin', '10.0.0.1', 0))).toBe(1);
    // And a failure that ends after the spray still counts towards the lock.
    for (const a of inFlight.slice(0, 4)) expect(a.fail(0)).toBe(0);
    expect(inFlight[4].fail(0)).toBe(60);
  });

  it('over the bound, only the least recently failed idle keys go, one for one', () => {
    const t = new LoginThrottle({ ...DEFAULT_LIMITS, maxKeys: 10 });
    spray(t, 4); // 8 keys, the oldest
    for (let i = 0; i < 4; i++) t.begin('admin', '10.0.0.1', 0).fail(0); // 2 more: 10, the bound
    spray(t, 1, 1); // a known address again: nothing new
    t.begin('new', '10.3.0.1', 0).fail(0); // 2 more: the 2 oldest go, not admin's 4 failures
    expect(t.size).toBe(10);
    expect(t.begin('admin', '10.0.0.1', 0).fail(0)).toBe(60);
  });

  it('a success while other attempts of the pair are in flight resets its failures and locks, keeps the count in flight', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 5; i++) t.begin('admin', '10.0.0.1', 0).fail(0); // locked once
    const later = 2 * MIN;
    for (let i = 0; i < 3; i++) t.begin('admin', '10.0.0.1', later).fail(later);
    const right = t.begin('admin', '10.0.0.1', later);
    const other = t.begin('admin', '10.0.0.1', later);
    right.succeed(); // `other` is still in flight
    other.cancel();
    for (let i = 0; i < 4; i++) expect(t.begin('admin', '10.0.0.1', later).fail(later)).toBe(0);
    expect(t.begin('admin', '10.0.0.1', later).fail(later)).toBe(60); // the first lock again, not the second

    const u = new LoginThrottle();
    const five = Array.from({ length: 5 }, () => u.begin('admin', '10.0.0.1', 0));
    five[0].succeed();
    u.begin('admin', '10.0.0.1', 0); // the four still in flight and this one: the limit
    expect(throttled(() => u.begin('admin', '10.0.0.1', 0))).toBe(1);
  });

  it('forgets the pair on a success with nothing else in flight (the address is kept)', () => {
    const t = new LoginThrottle();
    t.begin('admin', '10.0.0.1', 0).fail(0);
    t.begin('admin', '10.0.0.1', 0).succeed();
    expect(t.size).toBe(1);
  });

  it('finishes an attempt once: a second fail, succeed or cancel throws and counts nothing', () => {
    const t = new LoginThrottle();
    for (const [first, second] of [
      ['succeed', 'cancel'],
      ['fail', 'fail'],
      ['cancel', 'succeed'],
      ['cancel', 'fail'],
    ] as const) {
      const a = t.begin('admin', '10.0.0.1', 0);
      a[first](0 as never);
      expect(() => a[second](0 as never)).toThrow('once');
    }
    // One failure was counted, not three: three more are allowed before the lock, the fourth locks.
    for (let i = 0; i < 3; i++) expect(t.begin('admin', '10.0.0.1', 0).fail(0)).toBe(0);
    expect(t.begin('admin', '10.0.0.1', 0).fail(0)).toBe(60);
  });

  it('forgets a key exactly when its lock ends and a full forgetting period has passed, not before', () => {
    const t = new LoginThrottle({ ...DEFAULT_LIMITS, baseLockMs: 10 * MIN, maxLockMs: 60 * MIN, forgetAfterMs: MIN });
    for (let i = 0; i < 5; i++) t.begin('admin', '10.0.0.1', 0).fail(0);
    expect(throttled(() => t.begin('admin', '10.0.0.1', 10 * MIN - 1))).toBe(1);
    const end = 10 * MIN; // the lock ends, 10 minutes after the last failure: forgotten
    for (let i = 0; i < 4; i++) t.begin('admin', '10.0.0.1', end).fail(end);
    expect(t.begin('admin', '10.0.0.1', end).fail(end)).toBe(600); // the first lock again

    const u = new LoginThrottle();
    for (let i = 0; i < 4; i++) u.begin('admin', '10.0.0.1', 0).fail(0);
    const day = DEFAULT_LIMITS.forgetAfterMs; // exactly a day later, the failures still count
    expect(u.begin('admin', '10.0.0.1', day).fail(day)).toBe(60);
  });
});

describe.each(dialects)('sign-in under attack on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const guess = (username: string, address: string, password = `guess-${randomBytes(4).toString('hex')}`) =>
    t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password }, remoteAddress: address });
  const statuses = (rs: { statusCode: number }[]) => {
    const n: Record<number, number> = {};
    for (const r of rs) n[r.statusCode] = (n[r.statusCode] ?? 0) + 1;
    return n;
  };

  it('evaluates at most 5 of 40 parallel guesses at one user from one address; the rest are 429 with Retry-After', async () => {
    const rs = await Promise.all(Array.from({ length: 40 }, () => guess('admin', '203.0.113.1')));
    expect(statuses(rs)).toEqual({ 401: 5, 429: 35 });
    const refused = rs.find((r) => r.statusCode === 429)!;
    expect(refused.json().code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Even the right password is refused from there now, without being checked.
    expect((await guess(ADMIN.username, '203.0.113.1', ADMIN.password)).statusCode).toBe(429);
  });

  it('evaluates at most 20 of 80 parallel guesses from one address at 80 user names', async () => {
    const rs = await Promise.all(Array.from({ length: 80 }, (_, i) => guess(`user${i}`, '203.0.113.2')));
    const { 401: evaluated = 0, 429: refused = 0 } = statuses(rs);
    expect(evaluated + refused).toBe(80);
    expect(evaluated).toBeGreaterThan(0);
    expect(evaluated).toBeLessThanOrEqual(20);
  });

  it('evaluates exactly 20 of 80 guesses from one address sent in waves of 10', async () => {
    const rs = [];
    for (let wave = 0; wave < 8; wave++) {
      rs.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => guess(`wave${wave}-${i}`, '203.0.113.3')))));
    }
    expect(statuses(rs)).toEqual({ 401: 20, 429: 60 });
  });

  it('counts an IPv6 address by its /64 and an IPv4-mapped address as its IPv4 address', async () => {
    const rs = [];
    for (let wave = 0; wave < 2; wave++) {
      rs.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => guess(`v6-${wave}-${i}`, `2001:db8:77:1::${wave}:${i + 1}`)))));
    }
    expect(statuses(rs)).toEqual({ 401: 20 });
    // Another address of the same /64 is refused even with the right password; the next /64 is not.
    expect((await guess(ADMIN.username, '2001:db8:77:1:ffff::9', ADMIN.password)).statusCode).toBe(429);
    expect((await guess(ADMIN.username, '2001:db8:77:2::1', ADMIN.password)).statusCode).toBe(200);

    for (let i = 0; i < 5; i++) expect((await guess('mapped', '::ffff:203.0.113.77')).statusCode).toBe(401);
    expect((await guess('mapped', '203.0.113.77')).statusCode).toBe(429);
  });

  it('lets the admin sign in from another address while an attacker hammers the admin account', async () => {
    let stop = false;
    const hammer = (async () => {
      let n = 0;
      while (!stop) {
        await Promise.all(Array.from({ length: 10 }, () => guess('admin', '198.51.100.66')));
        n += 10;
      }
      return n;
    })();
    try {
      for (let i = 0; i < 3; i++) {
        const res = await guess(ADMIN.username, `192.0.2.${10 + i}`, ADMIN.password);
        expect(res.statusCode).toBe(200);
      }
    } finally {
      stop = true;
    }
    expect(await hammer).toBeGreaterThan(0);
  });

  it('audits each evaluated failure, and the lock it starts, without the password', async () => {
    const password = 'the-password-that-must-not-be-logged';
    for (let i = 0; i < 5; i++) await guess('victim', '203.0.113.9', password);
    const events = (await admin.get('/api/v1/audit-events?action=session.failed&pageSize=100'))
      .json()
      .items.filter((e: { target: string }) => e.target === 'user:victim');
    expect(events).toHaveLength(5);
    expect(events[0]).toMatchObject({ actor: 'anonymous', details: { address: '203.0.113.9', lockedForSeconds: 60 } });
    expect(JSON.stringify(events)).not.toContain(password);
    expect(t.logs()).not.toContain(password);
  });

  describe('a burst of sign-ins does not stall package downloads', () => {
    // At the default password cost (about 0.2 s a hash): what would hold the thread pool that file reads share.
    let b: TestApp;
    let packageUrl: string;
    beforeAll(async () => {
      b = await startApp(dialect, { MPOP_PASSWORD_HASH_COST: '16384,8,5' });
      const bAdmin = await Client.signIn(b.app);
      await b.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = b.app.server.address() as AddressInfo;
      const id = (await bAdmin.post('/api/v1/mini-programs', { name: 'Downloads' })).json().miniProgramId;
      const up = await bAdmin.post(
        `/api/v1/mini-programs/${id}/packages`,
        packageForm({ version: '1.0.0.1' }, await incompressibleZip(4 * 1024 * 1024)),
      );
      packageUrl = `http://127.0.0.1:${port}/client/v1/packages/${up.json().sha256}.zip`;
    });
    afterAll(() => b?.destroy());
    const burstGuess = (username: string, address: string) =>
      b.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { username, password: `guess-${randomBytes(4).toString('hex')}` },
        remoteAddress: address,
      });

    /** Downloads the package again and again until `until` settles; @returns each download's milliseconds. */
    async function downloadsDuring(until: Promise<unknown>): Promise<number[]> {
      let done = false;
      void until.finally(() => (done = true));
      const times: number[] = [];
      while (!done || times.length < 5) {
        const started = performance.now();
        const res = await fetch(packageUrl);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        times.push(performance.now() - started);
      }
      return times;
    }

    it.each([
      ['300 parallel sign-ins from one address', (i: number) => burstGuess(`burst${i}`, '203.0.113.50')],
      ['300 parallel sign-ins from 300 addresses', (i: number) => burstGuess(`spray${i}`, `10.77.${i >> 8}.${i & 255}`)],
    ])(
      '%s: every download meanwhile stays fast',
      async (_what, attempt) => {
        const baseline = await downloadsDuring(Promise.resolve());
        let answered = 0;
        const burst = Promise.all(Array.from({ length: 300 }, (_, i) => attempt(i).finally(() => answered++)));
        // Measure once the refusals are out and the evaluated sign-ins wait for password hashes: that is when the hashes
        // would hold the thread pool that file reads need (the refusals cost only event-loop time).
        await expect
          .poll(() => answered === 300 || (answered >= 300 - MAX_PASSWORD_CHECKS && passwordHashBacklog() > 0), {
            timeout: 60_000,
            interval: 5,
          })
          .toBe(true);
        expect(answered).toBeLessThan(300);
        const during = await downloadsDuring(burst);
        const answers = statuses(await burst);
        expect(
          Object.keys(answers)
            .map(Number)
            .every((s) => s === 401 || s === 429),
        ).toBe(true);
        const worst = Math.max(...during);
        // Unbounded, the hashes filled the thread pool that file reads share and downloads stalled for 11-32 s.
        expect(
          worst,
          `downloads took ${during.map((ms) => Math.round(ms)).join(', ')} ms (alone: ${Math.round(Math.max(...baseline))} ms)`,
        ).toBeLessThan(Math.max(2_000, 10 * Math.max(...baseline)));
      },
      120_000,
    );
  });
});
