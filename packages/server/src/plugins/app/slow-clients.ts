import fp from 'fastify-plugin';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';

/**
 * How long a client may take, in the Fastify options that buildApp sets (see `serverTimeouts`) and in the body-rate
 * guard below. A client that trickles (one byte every few seconds, the Slowloris family) holds a socket, a request
 * and memory for as long as the server lets it; these bounds let it hold them for seconds, not minutes.
 */
export const TIMEOUTS = {
  /** All request headers must arrive within this. */
  headersMs: 15_000,
  /** How often Node checks connections against the header and request timeouts. */
  checkIntervalMs: 1_000,
  /** A socket on which nothing at all happens is closed after this. */
  idleMs: 90_000,
  /** An idle keep-alive connection between requests is kept this long (above load balancers' usual 60 s). */
  keepAliveMs: 72_000,
  /** A body must arrive at least this fast, measured over `bodyWindowMs`; uploads on any real link are far faster. */
  minBodyBytesPerSecond: 1024,
  bodyWindowMs: 10_000,
  /** The whole request, however large, must arrive within this much time at least. */
  minRequestMs: 60_000,
  /** …and, for large packages, within the time the largest accepted package takes at this rate (2 Mbit/s). */
  uploadBytesPerSecond: 256 * 1024,
};

/** The Fastify server options for a server whose largest accepted body is `maxBodyBytes`. */
export function serverTimeouts(maxBodyBytes: number) {
  return {
    connectionTimeout: TIMEOUTS.idleMs,
    keepAliveTimeout: TIMEOUTS.keepAliveMs,
    requestTimeout: Math.max(TIMEOUTS.minRequestMs, Math.ceil((maxBodyBytes / TIMEOUTS.uploadBytesPerSecond) * 1000)),
    http: { headersTimeout: TIMEOUTS.headersMs, connectionsCheckingInterval: TIMEOUTS.checkIntervalMs },
  };
}

const TOO_SLOW = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * Watches a request's body while it arrives: in every window the client must send `minBodyBytesPerSecond` (or the
 * rest of its body), else its connection is answered 408 and closed. Only the client's own slowness counts: while
 * the server is not reading (a hook still running, a full buffer, a slow disk) the window starts again.
 */
export function guardBodyRate(raw: IncomingMessage, res: ServerResponse, log: FastifyBaseLogger) {
  const socket = raw.socket;
  const declared = Number(raw.headers['content-length'] ?? Number.NaN);
  if (raw.complete || declared === 0 || (!raw.headers['transfer-encoding'] && Number.isNaN(declared))) return;
  const start = socket.bytesRead;
  let last = start;
  const timer = setInterval(() => {
    if (raw.complete || socket.destroyed) return clearInterval(timer);
    const now = socket.bytesRead;
    const weAreWaiting = raw.readableFlowing !== true || raw.readableLength >= raw.readableHighWaterMark;
    const remaining = Number.isNaN(declared) ? Number.POSITIVE_INFINITY : declared - (now - start);
    const needed = Math.min((TIMEOUTS.minBodyBytesPerSecond * TIMEOUTS.bodyWindowMs) / 1000, Math.max(remaining, 1));
    if (!weAreWaiting && now - last < needed) {
      clearInterval(timer);
      log.warn({ receivedBytes: now - start, declaredBytes: declared }, 'closed a connection whose body arrived too slowly');
      if (socket.writable && !res.headersSent) socket.end(TOO_SLOW, () => socket.destroy());
      else socket.destroy();
      return;
    }
    last = now;
  }, TIMEOUTS.bodyWindowMs);
  timer.unref();
  raw.once('close', () => clearInterval(timer));
}

/** Registers the body-rate guard on every route. */
export default fp(async (app) => {
  app.addHook('onRequest', function guardSlowBody(request, reply, done) {
    guardBodyRate(request.raw, reply.raw, request.log);
    done();
  });
});
