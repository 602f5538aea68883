import type { IncomingMessage, ServerResponse } from 'node:http';
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
/** The requests in flight on a connection. */
const BUSY = Symbol('mpop.requestsInFlight');
type CountedSocket = Socket & { [BUSY]?: number };

export default fp(
  async (app) => {
    /** The open connections; each counts its requests in flight (`BUSY`), which are in `requests`. */
    const sockets = new Set<CountedSocket>();
    const requests = new Set<IncomingMessage>();
    let closing = false;
    app.decorate('requestsInFlight', () => [...requests].map((r) => `${r.method} ${(r.url ?? '').split('?')[0]}`));

    app.server.on('connection', (socket: CountedSocket) => {
      socket[BUSY] = 0;
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    // One listener of each kind for every request (no closure made per request: each is asked on every gate answer).
    function answered(this: ServerResponse) {
      const req = this.req;
      requests.delete(req);
      const socket = req.socket as CountedSocket;
      const left = (socket[BUSY] ?? 1) - 1;
      socket[BUSY] = left;
      if (closing && left === 0) socket.destroySoon();
    }
    app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket as CountedSocket;
      socket[BUSY] = (socket[BUSY] ?? 0) + 1;
      requests.add(req);
      res.on('close', answered);
    });

    app.addHook('preClose', async () => {
      closing = true;
      for (const socket of sockets) if (socket[BUSY] === 0) socket.destroy();
    });
  },
  { name: 'mpop-graceful-close' },
);
