import { isIPv6 } from 'node:net';

/**
 * Failed sign-ins are counted per (user name, address) and per address, never per user name alone: guessing the
 * admin's password from one place must not lock the admin out everywhere else.
 *
 * - Counted before the password is checked: an attempt in flight counts, so 40 guesses sent at once are 5 guesses,
 *   not 40 (a limit read before a slow hash and raised after it lets every parallel guess through).
 * - Progressive: reaching the limit locks the key for `baseLockMs`, and every further lock of the same key doubles
 *   that, up to `maxLockMs`; a key with no failure for `forgetAfterMs` starts afresh.
 * - In memory and per process: behind a load balancer each instance counts on its own, which still bounds guessing.
 *   At most `maxKeys` keys are kept (the least recently failed go first), so a spray of addresses cannot exhaust
 *   memory.
 */
export interface ThrottleLimits {
  perUserAddress: number;
  perAddress: number;
  baseLockMs: number;
  maxLockMs: number;
  forgetAfterMs: number;
  maxKeys: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = {
  perUserAddress: 5,
  perAddress: 20,
  baseLockMs: 60_000,
  maxLockMs: 24 * 3600_000,
  forgetAfterMs: 24 * 3600_000,
  maxKeys: 50_000,
};

interface KeyState {
  failures: number;
  inFlight: number;
  lockouts: number;
  lockedUntil: number;
  lastFailureAt: number;
}

/** An attempt that has been counted; exactly one of its methods must be called when the password has been checked. */
export interface Attempt {
  /** The password was wrong (or the user unknown). @returns the seconds of a lock that this failure started, else 0. */
  fail(now?: number): number;
  /** The password was right: the (user, address) count starts afresh. */
  succeed(): void;
  /** The attempt was not evaluated after all (the server was busy). */
  cancel(): void;
}

/** Thrown by `begin`: the seconds to wait. */
export class Throttled extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`retry after ${retryAfterSeconds} s`);
  }
}

/**
 * The address that counts: an IPv4 address as is (IPv4-mapped IPv6 too), an IPv6 address by its /64, since one
 * subscriber usually holds a whole /64 and could otherwise rotate through it.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class LoginThrottle {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly limits: ThrottleLimits = DEFAULT_LIMITS) {}

  /** Counts an attempt before its password is checked, or throws `Throttled` when either key is at its limit. */
  begin(username: string, ip: string, now = Date.now()): Attempt {
    const address = addressKey(ip);
    const pair = { key: `u:${username.toLowerCase()}\n${address}`, limit: this.limits.perUserAddress };
    const addr = { key: `a:${address}`, limit: this.limits.perAddress };
    let wait = 0;
    for (const { key, limit } of [pair, addr]) {
      const s = this.state(key, now);
      if (s.lockedUntil > now) wait = Math.max(wait, Math.ceil((s.lockedUntil - now) / 1000));
      else if (s.failures + s.inFlight >= limit) wait = Math.max(wait, 1); // the attempts in flight may end it
    }
    if (wait > 0) throw new Throttled(wait);
    for (const { key } of [pair, addr]) this.touch(key, now).inFlight++;

    let done = false;
    const finish = () => {
      if (done) throw new Error('an attempt is finished once');
      done = true;
      for (const { key } of [pair, addr]) {
        const s = this.keys.get(key);
        if (s) s.inFlight = Math.max(0, s.inFlight - 1);
      }
    };
    return {
      fail: (at = Date.now()) => {
        finish();
        let locked = 0;
        for (const { key, limit } of [pair, addr]) {
          const s = this.touch(key, at);
          s.failures++;
          s.lastFailureAt = at;
          if (s.failures >= limit) {
            s.lockouts++;
            const ms = Math.min(this.limits.baseLockMs * 2 ** (s.lockouts - 1), this.limits.maxLockMs);
            s.lockedUntil = at + ms;
            s.failures = 0;
            locked = Math.max(locked, Math.ceil(ms / 1000));
          }
        }
        return locked;
      },
      succeed: () => {
        finish();
        // Only the pair is forgiven: a success with one's own account must not reset the count of guesses made
        // from the same address at someone else's.
        const s = this.keys.get(pair.key);
        if (s && s.inFlight === 0) this.keys.delete(pair.key);
        else if (s) Object.assign(s, { failures: 0, lockouts: 0, lockedUntil: 0 });
      },
      cancel: finish,
    };
  }

  /** How many keys are held (for tests of the memory bound). */
  get size(): number {
    return this.keys.size;
  }

  private state(key: string, now: number): KeyState {
    const s = this.keys.get(key);
    if (s && s.inFlight === 0 && s.lockedUntil <= now && now - s.lastFailureAt > this.limits.forgetAfterMs) {
      this.keys.delete(key);
      return this.fresh();
    }
    return s ?? this.fresh();
  }

  /** The key's state, stored and moved to the most recent end; the oldest idle keys go when there are too many. */
  private touch(key: string, now: number): KeyState {
    const s = this.state(key, now);
    this.keys.delete(key);
    this.keys.set(key, s);
    if (this.keys.size > this.limits.maxKeys) {
      for (const [k, v] of this.keys) {
        if (this.keys.size <= this.limits.maxKeys) break;
        if (v.inFlight === 0 && v.lockedUntil <= now) this.keys.delete(k);
      }
    }
    return s;
  }

  private fresh(): KeyState {
    return { failures: 0, inFlight: 0, lockouts: 0, lockedUntil: 0, lastFailureAt: 0 };
  }
}
