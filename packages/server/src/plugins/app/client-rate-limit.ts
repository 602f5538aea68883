import fp from 'fastify-plugin';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { AppError } from '../../lib/app-error.js';

export interface ClientRateLimitOptions {
  /** Requests per minute; 0 turns a limit off. */
  perDevice: number;
  perAddress: number;
  perHostApp: number;
  /** With a URL the counters live in Redis, shared by every instance; without, in this process's memory. */
  redisUrl?: string;
  redisPrefix: string;
}

const WINDOW_MS = 60_000;

export type Outcome = { max: number; remaining: number; ttlInSeconds: number; isExceeded: boolean };
type Limiter = (req: FastifyRequest) => Promise<Outcome>;

/** The body fields the limits key on; present on every client API route that names a host app. */
type ClientBody = { appId?: unknown; workspaceId?: unknown; deviceId?: unknown } | undefined;

/**
 * Rate limits of the client API (`/client/v1`), with `@fastify/rate-limit`'s counters: per address (checked before
 * the body is read), per device (`deviceId` of the body: one device of one host app) and, only when configured, per
 * host app. Answers carry the draft-standard `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` of the
 * tightest limit; a refusal is the problem 429 `RATE_LIMITED` with `Retry-After`.
 *
 * A Redis that cannot be reached lets requests through (and is logged): the limits protect the gate, they must
 * not become the reason it fails.
 */
export default fp<ClientRateLimitOptions>(async (app, opts) => {
  let redis: Redis | undefined;
  if (opts.redisUrl) {
    // Loaded only when used: it is a noticeable part of the start-up time.
    const { Redis } = await import('ioredis');
    redis = new Redis(opts.redisUrl, {
      // Fail fast while disconnected instead of queueing requests behind a dead Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    let lastWarning = 0;
    redis.on('error', (err: Error) => {
      if (Date.now() - lastWarning < 60_000) return;
      lastWarning = Date.now();
      app.log.warn({ err: { message: err.message } }, 'rate limits cannot reach Redis; requests pass unlimited until it is back');
    });
    app.addHook('onClose', async () => {
      await redis?.quit().catch(() => redis?.disconnect());
    });
  }
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(redis ? { redis, nameSpace: `${opts.redisPrefix}rl:` } : {}),
  });

  const limiter = (max: number, key: (req: FastifyRequest) => string | undefined): Limiter | undefined => {
    if (max <= 0) return undefined;
    const check = app.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: (req) => key(req) ?? '' });
    return (req) => check(req).then((r) => (r.isAllowed ? { max, remaining: max, ttlInSeconds: 0, isExceeded: false } : r));
  };
  const body = (req: FastifyRequest) => req.body as ClientBody;
  const hostApp = (req: FastifyRequest) => {
    const b = body(req);
    return typeof b?.appId === 'string' && typeof b.workspaceId === 'string' ? `${b.workspaceId}\n${b.appId}` : undefined;
  };
  const perAddress = limiter(opts.perAddress, (req) => `a:${req.ip}`);
  const perDevice = limiter(opts.perDevice, (req) => {
    const b = body(req);
    const h = hostApp(req);
    return h && typeof b?.deviceId === 'string' ? `d:${h}\n${b.deviceId}` : undefined;
  });
  const perHostApp = limiter(opts.perHostApp, (req) => {
    const h = hostApp(req);
    return h && `h:${h}`;
  });

  const count = (request: FastifyRequest, limits: (Limiter | undefined)[]) => Promise.all(limits.map((l) => l?.(request)));
  const deviceLimits = (request: FastifyRequest) => [perHostApp, body(request)?.deviceId !== undefined ? perDevice : undefined];

  /** Headers tell the tightest of the counted limits; over any limit → 429. */
  function enforce(request: FastifyRequest, reply: FastifyReply, outcomes: (Outcome | undefined)[]) {
    for (const o of outcomes) {
      if (!o?.isExceeded) continue;
      const seconds = Math.max(1, o.ttlInSeconds);
      setHeaders(reply, { ...o, remaining: 0, ttlInSeconds: seconds });
      throw new AppError('RATE_LIMITED', `Too many requests; try again in ${seconds} seconds.`, {
        headers: { 'Retry-After': String(seconds) },
      });
    }
    const tightest = tightestOf(outcomes, request.rateLimitTightest);
    if (tightest && tightest !== request.rateLimitTightest) {
      request.rateLimitTightest = tightest;
      setHeaders(reply, tightest);
    }
  }

  app.decorateRequest('rateLimitTightest', undefined);
  // A request the gate's fast path counted, then left to this route (over a limit, or refused by the gate),
  // is not counted again: its outcomes are reused.
  if (perAddress)
    app.addHook('onRequest', async (request, reply) => {
      const pre = precounted.get(request.raw);
      enforce(request, reply, pre ? [pre[0]] : await count(request, [perAddress]));
    });
  // The body is parsed and validated by now: a malformed request counted against its address only.
  if (perDevice || perHostApp)
    app.addHook('preHandler', async (request, reply) => {
      if (!hostApp(request)) return;
      const pre = precounted.get(request.raw);
      enforce(request, reply, pre ? pre.slice(1) : await count(request, deviceLimits(request)));
    });

  // The fast path counts a request as the hooks above do, from its address and its validated body: the address
  // first, and the device only when the address is within its limit.
  app.gateFastPath.countLimits = async (ip, validBody) => {
    const request = { ip, body: validBody, routeOptions: {} } as FastifyRequest;
    const address = await perAddress?.(request);
    const limits = address?.isExceeded || !hostApp(request) ? [] : deviceLimits(request);
    return limits.some(Boolean) ? [address, ...(await count(request, limits))] : [address];
  };
});

/** The outcomes the fast path counted for a request it then left to the route, by request: per address, host app, device. */
export const precounted = new WeakMap<IncomingMessage, (Outcome | undefined)[]>();

/** Of the counted limits (and the tightest so far), the one with the fewest requests left: the RateLimit-* headers tell it. */
export function tightestOf(outcomes: readonly (Outcome | undefined)[], soFar?: Outcome): Outcome | undefined {
  let tightest = soFar;
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
    /** The limit with the fewest requests left so far, for the RateLimit-* headers. */
    rateLimitTightest: { max: number; remaining: number; ttlInSeconds: number; isExceeded: boolean } | undefined;
  }
}
