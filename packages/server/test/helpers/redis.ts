import { Redis } from 'ioredis';

/** The Redis of the shared rate-limit suites (MPOP_TEST_REDIS_URL); MPOP_REQUIRE_REDIS=1 makes its absence an error. */
export const REDIS_URL = process.env.MPOP_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, enableOfflineQueue: false });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Whether Redis answers; suites that need it skip (loudly) without it. */
export async function redisUp(): Promise<boolean> {
  const up = await redisReachable();
  if (!up) {
    if (process.env.MPOP_REQUIRE_REDIS === '1') throw new Error(`MPOP_REQUIRE_REDIS=1 but Redis at ${REDIS_URL} is unreachable.`);
    console.warn(`\n!!! Redis at ${REDIS_URL} is unreachable: the suites that count in Redis are SKIPPED.\n`);
  }
  return up;
}

/** Removes the keys a suite wrote under its prefix. */
export async function dropKeys(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
}
