/**
 * Counts failed sign-ins per user name and per address in a sliding window. In memory and per process:
 * behind a load balancer each instance throttles on its own, which still bounds guessing to N × instances.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits = { perUser: 5, perAddress: 20 },
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** @returns seconds to wait when either key is over its limit, else 0. */
  retryAfter(username: string, address: string, now = Date.now()): number {
    const wait = (key: string, limit: number) => {
      const times = this.recent(key, now);
      return times.length >= limit ? Math.ceil((times[0] + this.windowMs - now) / 1000) : 0;
    };
    return Math.max(wait(`u:${username.toLowerCase()}`, this.limits.perUser), wait(`a:${address}`, this.limits.perAddress));
  }

  fail(username: string, address: string, now = Date.now()) {
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) {
      this.failures.set(key, [...this.recent(key, now), now]);
    }
  }

  succeed(username: string) {
    this.failures.delete(`u:${username.toLowerCase()}`);
  }

  private recent(key: string, now: number): number[] {
    const times = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (times.length === 0) this.failures.delete(key);
    return times;
  }
}
