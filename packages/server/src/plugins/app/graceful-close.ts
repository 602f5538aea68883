import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The requests being answered now, as `METHOD /path` (no query string): what a shutdown waits for. */
    requestsInFlight(): string[];
  }
}

/**
 * Closing the server (SIGTERM, `app.close()`) ends every keep-alive connection that has no request in flight at
 * once, and each busy one as soon as its answer is sent: requests in flight finish, and nothing keeps the process up.
 *
 * Node's own `server.close()` is meant to drop idle connections, but on Node 20 a connection that has just streamed
 * a response (a package download) is often not counted as idle, so a client holding it open kept the server from
 * closing until the keep-alive timeout (72 s). This tracks what is in flight itself rather than trusting that count.
 */
export default fp(
  async (app) => {
    const inFlight = new Map<Socket, number>();
    const requests = new Set<IncomingMessage>();
    let closing = false;
    app.decorate('requestsInFlight', () => [...requests].map((r) => `${r.method} ${(r.url ?? '').split('?')[0]}`));

    app.server.on('connection', (socket: Socket) => {
      inFlight.set(socket, 0);
      socket.once('close', () => inFlight.delete(socket));
    });
    app.server.on('request', (req, res) => {
      const socket = req.socket;
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
      requests.add(req);
      res.once('close', () => {
        requests.delete(req);
        const left = (inFlight.get(socket) ?? 1) - 1;
        inFlight.set(socket, left);
        if (closing && left === 0) socket.destroySoon();
      });
    });

    app.addHook('preClose', async () => {
      closing = true;
      for (const [socket, busy] of inFlight) if (busy === 0) socket.destroy();
    });
  },
  { name: 'mpop-graceful-close' },
);
