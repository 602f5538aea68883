import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { guardBodyRateSoon, TIMEOUTS } from '../src/plugins/app/slow-clients.js';

/**
 * The body-rate guard's timer, on a bare node:http server (slow-clients.test.ts proves the 408 on the real app): it is
 * started only for a body still arriving once the request's turn of the event loop is over, not for each request.
 */
describe('guardBodyRateSoon', () => {
  let server: http.Server;
  let port: number;
  const log = { warn: () => {} } as unknown as FastifyBaseLogger;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      guardBodyRateSoon(req, res, log);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => vi.restoreAllMocks());

  /** Sends the head and the first `now` bytes of the body, the rest after `laterMs`; resolves with the answer. */
  const send = (now: number, laterMs: number) =>
    new Promise<string>((resolve, reject) => {
      const body = '{"a":"0123456789"}';
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      socket.on('error', reject);
      socket.on('data', (c) => {
        answer += c.toString();
        if (answer.endsWith('ok')) {
          socket.end();
          resolve(answer);
        }
      });
      socket.on('connect', () => {
        socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, now)}`);
        if (now < body.length) setTimeout(() => socket.write(body.slice(now)), laterMs);
      });
    });

  /** The guard timers started meanwhile (setInterval with the guard's window). */
  const guardTimers = () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    return () => spy.mock.calls.filter((c) => c[1] === TIMEOUTS.bodyWindowMs).length;
  };

  it('starts no timer for bodies that came with their heads', async () => {
    const timers = guardTimers();
    for (let i = 0; i < 5; i++) expect(await send(Number.POSITIVE_INFINITY, 0)).toMatch(/^HTTP\/1\.1 200/);
    expect(timers()).toBe(0);
  });

  it('starts one for a body still arriving, which still gets its answer', async () => {
    const timers = guardTimers();
    expect(await send(5, 200)).toMatch(/^HTTP\/1\.1 200/);
    expect(timers()).toBe(1);
  });
});
