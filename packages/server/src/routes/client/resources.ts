import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ResourcesRequestSchema, ResourcesResponseSchema } from '@mpop/contracts';
import clientRateLimit from '../../plugins/app/client-rate-limit.js';
import { responses } from '../schemas.js';

const tags = ['client API'];

/** The client API host apps call at run time: no session; the host app's identity is checked against the list. */
const client: FastifyPluginAsyncTypebox = async (app) => {
  // Every route of this scope (resources, events, package downloads) is limited per address and, where the body
  // names one, per device.
  await app.register(clientRateLimit, {
    ...app.config.rateLimits,
    redisUrl: app.config.redisUrl,
    redisPrefix: app.config.redisPrefix,
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
    async (request) => ({ resources: await app.services.gate.resources(request.body) }),
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
