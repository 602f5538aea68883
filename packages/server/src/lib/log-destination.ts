import { Writable } from 'node:stream';
import { createRequire } from 'node:module';

/** Where the server's log lines go, and how to wait (a bounded time) for the ones not yet written. */
export interface LogDestination {
  stream: Writable;
  /** Resolves when every line has been handed to the operating system, or after `timeoutMs`, whichever is first. */
  flush(timeoutMs: number): Promise<void>;
  /** Lines dropped because the reader of stdout stopped reading or went away. */
  dropped(): number;
}

/** Beyond this much unwritten log text, new lines are dropped rather than held in memory. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/**
 * Log lines to stdout that can never stop the process. pino's default destination flushes synchronously when the
 * process exits, retrying EAGAIN with a blocking sleep: when the process reading our stdout stops reading (or is
 * gone while another process still holds the pipe), that flush never ends, so a SIGTERM closed the listener and
 * the database and then hung in `process.exit` (main thread in a futex wait, the force-exit timer unable to fire).
 *
 * Here lines are written with ordinary non-blocking stream writes (libuv's, for pipes and sockets), never flushed
 * synchronously at exit; when too much is pending, or stdout is broken (EPIPE), lines are dropped and counted.
 * `pretty` turns JSON lines into pino-pretty's coloured text (for a terminal).
 */
export function stdoutDestination(options: { pretty: boolean; out?: NodeJS.WritableStream & { writableLength?: number } }): LogDestination {
  const out = options.out ?? process.stdout;
  // pino-pretty is loaded only for a terminal: JSON lines (servers, containers) never need its memory.
  const format = options.pretty
    ? terminalLines(
        (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty')).prettyFactory({
          colorize: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        }),
      )
    : undefined;
  let broken = false;
  let dropped = 0;
  out.on('error', () => {
    broken = true; // EPIPE and the like: the reader is gone; nobody will read another line
  });
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      if (broken || (out.writableLength ?? 0) > MAX_PENDING_BYTES) {
        dropped++;
      } else {
        const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        out.write(format ? format(text) : text);
      }
      done();
    },
  });
  return {
    stream,
    dropped: () => dropped,
    flush: (timeoutMs) =>
      new Promise<void>((resolve) => {
        if (broken || !out.writableLength) return resolve();
        const timer = setTimeout(finish, timeoutMs);
        timer.unref();
        out.once('drain', finish);
        function finish() {
          clearTimeout(timer);
          out.removeListener('drain', finish);
          resolve();
        }
      }),
  };
}

/** Requests announced but not completed yet, at most this many remembered (a request that never completes is forgotten). */
const MAX_OPEN_REQUESTS = 10_000;

/**
 * What a person at a terminal reads: one line per request, `GET /api/v1/host-apps 200 12 ms`, with the problem code
 * of a refusal (`403 FORBIDDEN`) and the request id; every other line as pino-pretty writes it. The JSON lines of
 * a server whose stdout is not a terminal keep Fastify's two request lines, whole.
 */
export function terminalLines(pretty: (line: string) => string): (line: string) => string {
  const open = new Map<string, string>();
  return (text) => {
    let entry: {
      msg?: string;
      reqId?: string;
      req?: { method?: string; url?: string };
      res?: { statusCode?: number };
      responseTime?: number;
      code?: string;
      level?: number;
      time?: number;
    };
    try {
      entry = JSON.parse(text);
    } catch {
      return pretty(text);
    }
    if (entry.msg === 'incoming request' && entry.reqId) {
      if (open.size >= MAX_OPEN_REQUESTS) open.delete(open.keys().next().value!);
      open.set(entry.reqId, `${entry.req?.method ?? '?'} ${entry.req?.url ?? '?'}`);
      return '';
    }
    if (entry.msg === 'request completed' && entry.reqId) {
      const request = open.get(entry.reqId) ?? '(request)';
      open.delete(entry.reqId);
      const status = entry.res?.statusCode ?? 0;
      const ms = entry.responseTime === undefined ? '' : ` ${entry.responseTime.toFixed(entry.responseTime < 10 ? 1 : 0)} ms`;
      const line = `${request} ${status}${entry.code ? ` ${entry.code}` : ''}${ms} (${entry.reqId})`;
      const { req: _req, res: _res, responseTime: _time, code: _code, reqId: _id, ...rest } = entry;
      return pretty(JSON.stringify({ ...rest, level: status >= 500 ? 50 : entry.level, msg: line }));
    }
    return pretty(text);
  };
}
