import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
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
      ...(app.gateFastPath.enabled
        ? {
            preParsing: function fastPathBody(
              request: FastifyRequest,
              _reply: unknown,
              payload: Readable,
              done: (e: null, p: Readable) => void,
            ) {
              const body = readBodies.get(request.raw);
              done(null, body ? Readable.from([body], { objectMode: false }) : payload);
            },
          }
        : {}),
      schema: {
        tags,
        summary: 'The packages this host app may load, each signed with its private key',
        security: [],
        body: ResourcesRequestSchema,
        response: responses({ 200: ResourcesResponseSchema }),
      },
    },
    // The answer is JSON text made from parts serialized once per cache fill (the schema above documents it).
    (request, reply) => {
      app.gateFastPath.learn(request);
      const gate = app.services.gate;
      reply.header('content-type', 'application/json; charset=utf-8');
      // A cached host app answers at once, without a promise; the others are looked up (or refused) by `answer`.
      const cached = gate.cachedAnswer(request.body);
      if (cached !== undefined) {
        reply.send(cached as never);
        return;
      }
      return gate.answer(request.body).then((answer) => {
        reply.send(answer as never);
      });
    },
  );

  await app.register(packageRoutes);
};
export default client;
