import { randomBytes, scryptSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../src/lib/crypto.js';
import { UserRepository } from '../src/modules/auth/user.repository.js';
import { ADMIN, Client, dialects, startApp, type TestApp } from './helpers/app.js';

/** A stored hash as any scrypt implementation writes it, at the cost asked for. */
const hashAt = (password: string, N: number, r: number, p: number) => {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 64, { N, r, p, maxmem: 256 * 1024 * 1024 });
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
};

/** New hashes at the default cost (the test apps' own is cheaper: helpers/app.ts). */
const defaults = new PasswordHasher();
const hashPassword = (password: string) => defaults.hash(password);
const verifyPassword = (password: string, stored: string) => defaults.verify(password, stored);
const needsRehash = (stored: string) => defaults.needsRehash(stored);

describe('password hashes', () => {
  it('are made at N = 2^14, r = 8, p = 5 (16 MiB a hash) and match only their password', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$16384\$8\$5\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batter', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it("verify at the cost they name: an earlier version's N = 2^15, p = 1 hash still matches, and is due to be replaced", async () => {
    const old = hashAt('s3cret-password', 1 << 15, 8, 1);
    expect(await verifyPassword('s3cret-password', old)).toBe(true);
    expect(await verifyPassword('other-password', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
  });

  it('match no password when the hash asks for too much memory or work, or is malformed, without throwing', async () => {
    const salt = randomBytes(16).toString('base64');
    const hash = randomBytes(64).toString('base64');
    const costly = [
      `scrypt$${1 << 20}$8$1$${salt}$${hash}`, // 1 GiB
      `scrypt$${1 << 16}$16$1$${salt}$${hash}`, // 128 MiB
      `scrypt$${1 << 14}$8$100$${salt}$${hash}`, // 20 times the work of a new hash
      `scrypt$12345$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$16384$8$0$${salt}$${hash}`,
      `scrypt$16384$8$5$${salt}$${hash}$extra`,
      `scrypt$16384$8$5$${salt}$`,
      `bcrypt$16384$8$5$${salt}$${hash}`,
      'sso',
    ];
    const started = performance.now();
    for (const stored of costly) {
      expect(await verifyPassword('anything', stored)).toBe(false);
      expect(needsRehash(stored)).toBe(false);
    }
    // None of them ran a hash (one at the allowed cost takes about 0.2 s).
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('are made at a configured cost, which then decides what is due to be replaced; the bounds never fall below the default', async () => {
    const cheap = new PasswordHasher({ N: 1024, r: 8, p: 1 });
    const stored = await cheap.hash('correct horse battery');
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await cheap.verify('correct horse battery', stored)).toBe(true);
    expect(await cheap.verify('correct horse batter', stored)).toBe(false);
    expect(cheap.needsRehash(stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
    // A hash at the default cost still verifies under a cheaper setting, and is due to be replaced by its cost.
    const strong = await hashPassword('s3cret-password');
    expect(await cheap.verify('s3cret-password', strong)).toBe(true);
    expect(cheap.needsRehash(strong)).toBe(true);
    // Four times the default's work is the most either accepts; a costlier setting raises it to four times its own.
    const salt = randomBytes(16).toString('base64');
    const hash = randomBytes(64).toString('base64');
    const fiveTimes = `scrypt$${1 << 14}$8$25$${salt}$${hash}`;
    expect(cheap.needsRehash(fiveTimes)).toBe(false); // not even read as a hash
    expect(new PasswordHasher({ N: 1 << 14, r: 8, p: 10 }).needsRehash(fiveTimes)).toBe(true);
  });
});

describe.each(dialects)('signing in with a hash of an earlier cost on %s', (dialect) => {
  let t: TestApp;
  let users: UserRepository;
  const stored = async () =>
    (await t.app.db.selectFrom('users').select('passwordHash').where('username', '=', ADMIN.username).executeTakeFirstOrThrow())
      .passwordHash;

  beforeAll(async () => {
    // The default cost (the test apps' own is cheaper: helpers/app.ts).
    t = await startApp(dialect, { MPOP_PASSWORD_HASH_COST: '16384,8,5' });
    users = new UserRepository(t.app.db);
  });
  afterAll(() => t.destroy());

  it('replaces the hash with one at the current cost once the password is proved, and the password still works', async () => {
    const old = hashAt(ADMIN.password, 1 << 15, 8, 1);
    await users.update(ADMIN.username, { passwordHash: old });
    // A wrong password changes nothing.
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: ADMIN.username, password: 'wrong-password-1' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(await stored()).toBe(old);
    const admin = await Client.signIn(t.app);
    expect((await admin.get('/api/v1/session')).statusCode).toBe(200);
    const now = await stored();
    expect(now).toMatch(/^scrypt\$16384\$8\$5\$/);
    expect(await verifyPassword(ADMIN.password, now)).toBe(true);
    // The next sign-in keeps it.
    await Client.signIn(t.app);
    expect(await stored()).toBe(now);
  });

  it('never undoes a password change made while the old hash was being replaced', async () => {
    const old = hashAt(ADMIN.password, 1 << 15, 8, 1);
    const changed = await hashPassword('changed-password-1');
    await users.update(ADMIN.username, { passwordHash: changed });
    await users.replacePasswordHash(ADMIN.username, old, await hashPassword(ADMIN.password));
    expect(await stored()).toBe(changed);
  });

  it('refuses a sign-in whose stored hash asks for a gigabyte, as a wrong password (401, never a 500)', async () => {
    const salt = randomBytes(16).toString('base64');
    await users.update(ADMIN.username, { passwordHash: `scrypt$${1 << 20}$8$1$${salt}$${randomBytes(64).toString('base64')}` });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: ADMIN });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
