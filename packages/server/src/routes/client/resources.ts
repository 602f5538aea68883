import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ResourcesRequestSchema, ResourcesResponseSchema } from '@mpop/contracts';
import clientRateLimit from '../../plugins/app/client-rate-limit.js';
import { responses } from '../schemas.js';
import { Readable } from 'node:stream';
import { RESOURCES_BODY_LIMIT, readBodies } from './resources-fast-path.js';
import eventRoutes from './events.js';
import packageRoutes from './packages.js';

const tags = ['client API'];

/** The client API host apps call at run time: no session; the host app's identity is checked against the list. */
const client: FastifyPluginAsyncTypebox = async (app) => {
  // The one security header that matters to answers read by apps (helmet's document headers are not sent here).
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    done();
  });
  // Every route of this scope (resources, events, package downloads) is limited per address and, where the body
  // names one, per device.
  await app.register(clientRateLimit, {
    ...app.config.rateLimits,
    redisUrl: app.config.redisUrl,
    redisPrefix: app.config.redisPrefix,
  });

  // Inside this scope, so the limits above cover it too (its body names the host app and the device).
  await app.register(eventRoutes);

  app.post(
    '/resources',
    {
      bodyLimit: RESOURCES_BODY_LIMIT,
      // A request the fast path read and left to the route (see resources-fast-path.ts) brings its body along.
      preParsing: (request, _reply, payload, done) => {
        const body = readBodies.get(request.raw);
        done(null, body ? Readable.from([body], { objectMode: false }) : payload);
      },
      schema: {
        tags,
        summary: 'The packages this host app may load, each signed with its private key',
        security: [],
        body: ResourcesRequestSchema,
        response: responses({ 200: ResourcesResponseSchema }),
      },
    },
    // The answer is JSON text made from parts serialized once per cache fill (the schema above documents it).
    async (request, reply) => {
      app.gateFastPath.learn(request);
      return reply.type('application/json; charset=utf-8').send((await app.services.gate.answer(request.body)) as never);
    },
  );

  await app.register(packageRoutes);
};
export default client;
