import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ResourcesRequestSchema, ResourcesResponseSchema } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import { RateLimiter } from '../../modules/gate/rate-limiter.js';
import { responses } from '../schemas.js';
import eventRoutes from './events.js';

const tags = ['client API'];

const rateLimited = (seconds: number) =>
  new AppError('RATE_LIMITED', `Too many requests; try again in ${seconds} seconds.`, { headers: { 'Retry-After': String(seconds) } });

/** The client API host apps call at run time: no session; the host app's identity is checked against the list. */
const client: FastifyPluginAsyncTypebox = async (app) => {
  const perAddress = new RateLimiter(app.config.clientRateLimitPerMinute);
  const perHostApp = new RateLimiter(app.config.clientRateLimitPerMinute);

  app.addHook('onRequest', async (request) => {
    const wait = perAddress.hit(request.ip);
    if (wait) throw rateLimited(wait);
  });

  // Inside this scope, so the limits above cover it too.
  await app.register(eventRoutes, {
    limitHostApp: (workspaceId, appId) => {
      const wait = perHostApp.hit(`${workspaceId}\n${appId}`);
      if (wait) throw rateLimited(wait);
    },
  });

  app.post(
    '/resources',
    {
      bodyLimit: 512 * 1024, // room for a 10,000-ID request to reach the schema and get a clear 400
      schema: {
        tags,
        summary: 'The packages this host app may load, each signed with its private key',
        security: [],
        body: ResourcesRequestSchema,
        response: responses({ 200: ResourcesResponseSchema }),
      },
    },
    async (request) => {
      const wait = perHostApp.hit(`${request.body.workspaceId}\n${request.body.appId}`);
      if (wait) throw rateLimited(wait);
      return { resources: await app.services.gate.resources(request.body) };
    },
  );

  app.get(
    '/packages/:file',
    {
      schema: {
        tags,
        summary: 'Download a package by its SHA-256 (immutable; ETag, Range)',
        security: [],
        params: Type.Object({ file: Type.String({ pattern: '^[0-9a-f]{64}\\.zip$' }) }),
      },
    },
    async (request, reply) => {
      const sha256 = request.params.file.slice(0, 64);
      reply.header('ETag', `"${sha256}"`);
      reply.header('Cache-Control', 'public, max-age=31536000, immutable');
      if (request.headers['if-none-match'] === `"${sha256}"`) return reply.code(304).send();
      return reply.sendFile(app.packageStore.relative(sha256), app.packageStore.root, {
        cacheControl: false,
        etag: false,
        lastModified: false,
      });
    },
  );
};
export default client;
