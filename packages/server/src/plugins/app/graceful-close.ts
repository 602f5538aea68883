import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The requests being answered now, as `METHOD /path` (no query string): what a shutdown waits for. */
    requestsInFlight(): string[];
  }
}

/** The requests being answered on a connection, oldest first. */
const IN_FLIGHT = Symbol('mpop.requestsInFlight');
type CountedSocket = Socket & { [IN_FLIGHT]?: IncomingMessage[] };

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
    /** The open connections, each with the requests being answered on it (`IN_FLIGHT`, oldest first). */
    const sockets = new Set<CountedSocket>();
    let closing = false;
    app.decorate('requestsInFlight', () =>
      [...sockets].flatMap((s) => s[IN_FLIGHT] ?? []).map((r) => `${r.method} ${(r.url ?? '').split('?')[0]}`),
    );

    app.server.on('connection', (socket: CountedSocket) => {
      socket[IN_FLIGHT] = [];
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    // Per request: one shared close listener, no closure, and no Set of all requests. A Set that every request enters
    // and leaves kept each request's objects alive through the next scavenges (they all went to the old generation,
    // which then needed a full collection every few seconds under load); a connection's own short list does not.
    function answered(this: ServerResponse) {
      const req = this.req;
      const socket = req.socket as CountedSocket;
      const list = socket[IN_FLIGHT];
      if (!list) return;
      if (list[0] === req) list.shift();
      else if (list.includes(req)) list.splice(list.indexOf(req), 1);
      if (closing && list.length === 0) socket.destroySoon();
    }
    app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket as CountedSocket;
      socket[IN_FLIGHT] ??= [];
      socket[IN_FLIGHT].push(req);
      res.on('close', answered);
    });

    app.addHook('preClose', async () => {
      closing = true;
      for (const socket of sockets) if (!socket[IN_FLIGHT]?.length) socket.destroy();
    });
  },
  { name: 'mpop-graceful-close' },
);
