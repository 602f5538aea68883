import path from 'node:path';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

export interface ConsoleFilesOptions {
  /** The console's built files (`index.html`, `assets/`). */
  root: string;
}

/**
 * The console's files. The hashed bundles under `assets/` never change (cached for a year); everything else is
 * revalidated. `reply.sendFile` serves `index.html` for the console's client-side routes (see not-found.ts).
 */
export default fp<ConsoleFilesOptions>(
  async (app, { root }) => {
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      index: false,
      setHeaders: (reply, file) => {
        reply.header('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  },
  { name: 'mpop-console-files' },
);
