import fp from 'fastify-plugin';
import { AppError } from '../../lib/app-error.js';
import { sendProblem } from './problem.js';

export interface NotFoundOptions {
  /** The console's files are served (plugins/external/static.ts): its client-side routes fall back to index.html. */
  serveConsole: boolean;
}

/** What answers a path no route has: the console's app for its own pages, else a 404 problem that points to the API docs. */
export default fp<NotFoundOptions>(
  async (app, { serveConsole }) => {
    app.setNotFoundHandler((request, reply) => {
      const url = request.url.split('?')[0];
      const isApi = url.startsWith('/api/') || url.startsWith('/client/') || url === '/api';
      // A missing file (an asset of an older build, a typo) is a 404, never the console's page: a browser that asked
      // for a script must not be handed HTML.
      const isFile = url.startsWith('/assets/') || /\.[A-Za-z0-9]{1,8}$/.test(url);
      // Client-side routes of the console fall back to the app; everything else is a 404 problem.
      if (serveConsole && !isApi && !isFile && (request.method === 'GET' || request.method === 'HEAD')) {
        return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
      }
      return sendProblem(reply, new AppError('NOT_FOUND', `There is no ${request.method} ${url}. The API is described at /api/docs.`));
    });
  },
  { name: 'mpop-not-found' },
);
