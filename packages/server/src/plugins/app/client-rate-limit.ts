import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';
import type { FastifyBaseLogger, FastifyError, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from '../../lib/app-error.js';
import { sendProblem, toAppError } from './problem.js';

/** The limits as configured. */
export interface ClientLimitSettings {
  /** Requests per minute; 0 turns a limit off. */
  perDevice: number;
  perAddress: number;
  perHostApp: number;
  /** With a URL the counters live in Redis, shared by every instance; without, in this process's memory. */
  redisUrl?: string;
  redisPrefix: string;
}

export interface ClientRateLimitOptions {
  /** The counters (`openClientLimits`); undefined when every limit is off, and the plugin adds nothing. */
  limits: ClientLimits | undefined;
  /**
   * What was counted for this request before it reached Fastify (the gate's fast path counts a request, then may
   * leave it to the route): the hook takes those outcomes instead of counting it twice.
   */
  countedBefore(raw: IncomingMessage): readonly (Outcome | undefined)[] | undefined;
}

const WINDOW_MS = 60_000;
/** Counters kept in memory (least recently used dropped first): addresses and (address, device) pairs of a minute. */
const LOCAL_COUNTERS = 50_000;

export type Outcome = { max: number; remaining: number; ttlInSeconds: number; isExceeded: boolean };

/**
 * The counter stores of `@fastify/rate-limit` (in memory, or in Redis with one Lua script per count), used as they
 * are: `incr` answers through a callback, at once for the in-memory store, so counting needs no promise.
 */
interface Store {
  incr(key: string, cb: (err: Error | null, res: { current: number; ttl: number } | null) => void, timeWindow: number, max: number): void;
}
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache: number,
) => Store;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key: string,
) => Store;

/** The body fields the limits key on; present on every client API route that names a host app. */
type ClientBody = { appId?: unknown; workspaceId?: unknown; deviceId?: unknown } | undefined;

/**
 * Rate limits of the client API (`/client/v1`), counted in `@fastify/rate-limit`'s stores: per address, per device
 * within its address (`deviceId` of the body, of one host app, from one client address: the ID is the device's own
 * claim, so it cannot buy a device more than its address's budget, nor let anyone elsewhere use up a device's) and,
 * only when configured, per host app. Answers carry the draft-standard `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` of the tightest limit; a refusal is the problem 429 `RATE_LIMITED` with `Retry-After`.
 *
 * One synchronous hook per request (preValidation: the body is parsed, so the device is known) counts them all: the
 * address first, the others only when the address is within its limit. A request refused before it (a body that is
 * not JSON, too large, of another type) is counted against its address by the scope's error handler, and answered
 * 429 instead when its address is over the limit.
 *
 * A Redis that cannot be reached lets requests through (and is logged): the limits protect the gate, they must
 * not become the reason it fails.
 */
export default fp<ClientRateLimitOptions>(async (app, { limits, countedBefore }) => {
  if (!limits) return;

  app.decorateRequest('rateLimitCounted', false);
  app.addHook('preValidation', function countClientLimits(request, reply, done) {
    request.rateLimitCounted = true;
    const pre = countedBefore(request.raw);
    if (pre) return done(enforce(reply, pre));
    limits.count(request.ip, request.body as ClientBody, (outcomes) => done(enforce(reply, outcomes)));
  });
  // A request refused before the hook above is counted against its address here.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (request.rateLimitCounted || !limits.perAddress) return sendProblem(reply, toAppError(err, request));
    request.rateLimitCounted = true;
    limits.count(request.ip, undefined, (outcomes) => {
      const refusal = enforce(reply, outcomes);
      sendProblem(reply, refusal ?? toAppError(err, request));
    });
    return reply;
  });
});

/**
 * Opens the counters of the limits (in memory, or in Redis), made once by buildApp: the rate-limit hook and the gate's
 * fast path count with the same object. Undefined when every limit is off; `close` ends the Redis connection.
 */
export async function openClientLimits(
  opts: ClientLimitSettings,
  log: FastifyBaseLogger,
): Promise<{ limits: ClientLimits | undefined; close(): Promise<void> }> {
  const none = { limits: undefined, close: async () => {} };
  if (opts.perAddress <= 0 && opts.perDevice <= 0 && opts.perHostApp <= 0) return none;
  if (!opts.redisUrl) return { limits: new ClientLimits(new LocalStore(false, false, LOCAL_COUNTERS), opts), close: none.close };
  // Loaded only when used: it is a noticeable part of the start-up time.
  const { Redis } = await import('ioredis');
  const redis = new Redis(opts.redisUrl, {
    // Fail fast while disconnected instead of queueing requests behind a dead Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  let lastWarning = 0;
  redis.on('error', (err: Error) => {
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    log.warn({ err: { message: err.message } }, 'rate limits cannot reach Redis; requests pass unlimited until it is back');
  });
  return {
    limits: new ClientLimits(new RedisStore(false, false, redis, `${opts.redisPrefix}rl:`), opts),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The limits of one scope, over one store. */
export class ClientLimits {
  readonly perAddress: number;
  readonly perDevice: number;
  readonly perHostApp: number;

  constructor(
    private readonly store: Store,
    opts: Pick<ClientLimitSettings, 'perAddress' | 'perDevice' | 'perHostApp'>,
  ) {
    this.perAddress = Math.max(0, opts.perAddress);
    this.perDevice = Math.max(0, opts.perDevice);
    this.perHostApp = Math.max(0, opts.perHostApp);
  }

  /**
   * Counts a request: its address first, then (when the address is within its limit and the body names a host
   * app) the host app and the device within the address. `done` gets the outcomes, per address, host app and
   * device, synchronously with the in-memory store.
   */
  count(ip: string | undefined, body: ClientBody, done: (outcomes: (Outcome | undefined)[]) => void) {
    const address = `${ip}`;
    const hostApp =
      typeof body?.appId === 'string' && typeof body.workspaceId === 'string' ? `${body.workspaceId}\n${body.appId}` : undefined;
    const device = hostApp !== undefined && typeof body?.deviceId === 'string' ? `${address}\n${hostApp}\n${body.deviceId}` : undefined;
    const rest = (first: Outcome | undefined) => {
      if (first?.isExceeded || hostApp === undefined) return done([first]);
      const outcomes: (Outcome | undefined)[] = [first, undefined, undefined];
      let pending = 1;
      const settle = () => {
        if (--pending === 0) done(outcomes);
      };
      if (this.perHostApp > 0) {
        pending++;
        this.one(`h:${hostApp}`, this.perHostApp, (o) => {
          outcomes[1] = o;
          settle();
        });
      }
      if (this.perDevice > 0 && device !== undefined) {
        pending++;
        this.one(`d:${device}`, this.perDevice, (o) => {
          outcomes[2] = o;
          settle();
        });
      }
      settle();
    };
    if (this.perAddress > 0) this.one(`a:${address}`, this.perAddress, rest);
    else rest(undefined);
  }

  /** One counter; a store that fails (Redis away) counts nothing and refuses nothing. */
  private one(key: string, max: number, done: (o: Outcome | undefined) => void) {
    this.store.incr(
      key,
      (err, res) => {
        if (err || !res) return done(undefined);
        done({
          max,
          remaining: Math.max(0, max - res.current),
          ttlInSeconds: Math.ceil(res.ttl / 1000),
          isExceeded: res.current > max,
        });
      },
      WINDOW_MS,
      max,
    );
  }
}

/**
 * Sets the RateLimit-* headers of the tightest counted limit; over any limit, @returns the 429 to answer with
 * (its headers tell the exceeded limit).
 */
function enforce(reply: FastifyReply, outcomes: readonly (Outcome | undefined)[]): AppError | undefined {
  for (const o of outcomes) {
    if (!o?.isExceeded) continue;
    const seconds = Math.max(1, o.ttlInSeconds);
    setHeaders(reply, { ...o, remaining: 0, ttlInSeconds: seconds });
    return new AppError('RATE_LIMITED', `Too many requests; try again in ${seconds} seconds.`, {
      headers: { 'Retry-After': String(seconds) },
    });
  }
  const tightest = tightestOf(outcomes);
  if (tightest) setHeaders(reply, tightest);
  return undefined;
}

/** Of the counted limits, the one with the fewest requests left: the RateLimit-* headers tell it. */
export function tightestOf(outcomes: readonly (Outcome | undefined)[]): Outcome | undefined {
  let tightest: Outcome | undefined;
  for (const o of outcomes) if (o && (!tightest || o.remaining < tightest.remaining)) tightest = o;
  return tightest;
}

function setHeaders(reply: FastifyReply, o: Outcome) {
  reply.header('RateLimit-Limit', o.max);
  reply.header('RateLimit-Remaining', o.remaining);
  reply.header('RateLimit-Reset', o.ttlInSeconds);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Whether the client rate limits counted this request already. */
    rateLimitCounted: boolean;
  }
}
