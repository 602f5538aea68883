import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ResourcesRequestSchema, ResourcesResponseSchema } from '@mpop/contracts';
import clientRateLimit from '../../plugins/app/client-rate-limit.js';
import { responses } from '../schemas.js';
import { Readable } from 'node:stream';
import type { GatePipeline } from './gate-pipeline.js';
import { type GateFastPath, RESOURCES_BODY_LIMIT } from './resources-fast-path.js';
import eventRoutes from './events.js';
import packageRoutes from './packages.js';

const tags = ['client API'];

export interface ClientApiOptions {
  /** The gate's steps (made by buildApp): the route runs them as the fast path does. */
  pipeline: GatePipeline;
  /** The fast path in front of Fastify, which hands this route the requests it does not answer. */
  fastPath: GateFastPath;
}

/** The client API host apps call at run time: no session; the host app's identity is checked against the list. */
const client: FastifyPluginAsyncTypebox<ClientApiOptions> = async (app, { pipeline, fastPath }) => {
  // Every route of this scope (resources, events, package downloads) is limited per address and, where the body
  // names one, per device; with the counters the fast path counts in, and what it counted for a request it left.
  await app.register(clientRateLimit, { limits: pipeline.limits, countedBefore: (raw) => pipeline.handedOver(raw)?.outcomes });

  // Inside this scope, so the limits above cover it too (its body names the host app and the device).
  await app.register(eventRoutes);

  app.post(
    '/resources',
    {
      bodyLimit: RESOURCES_BODY_LIMIT,
      // A request the fast path read and left to the route (see resources-fast-path.ts) brings its body along.
      ...(fastPath.enabled
        ? {
            preParsing: function fastPathBody(
              request: FastifyRequest,
              _reply: unknown,
              payload: Readable,
              done: (e: null, p: Readable) => void,
            ) {
              const body = pipeline.handedOver(request.raw)?.body;
              done(null, body ? Readable.from([body], { objectMode: false }) : payload);
            },
          }
        : {}),
      // The pipeline's validator, compiled from the schema below with the app's compilers: one function for both paths.
      validatorCompiler: () => pipeline.validate,
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
      fastPath.learn(request);
      reply.header('content-type', 'application/json; charset=utf-8');
      // A cached host app answers at once, without a promise; the others are looked up (or refused) by the gate.
      const answer = pipeline.answer(request.body);
      if (!(answer instanceof Promise)) {
        reply.send(answer as never);
        return;
      }
      return answer.then((a) => {
        reply.send(a as never);
      });
    },
  );

  await app.register(packageRoutes);
};
export default client;
