import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EventsAcceptedSchema, EventsRequestSchema } from '@mpop/contracts';
import { responses } from '../schemas.js';

/**
 * `POST /client/v1/events`: host apps report downloads, verifications, launches and failures. Registered inside
 * the client API's scope (routes/client/resources.ts), so the same rate limits (per device, per address) cover it;
 * the service also bounds the devices each address may report for a minute (request.ip, behind MPOP_TRUST_PROXY).
 */
const events: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events',
    {
      bodyLimit: 256 * 1024,
      schema: {
        tags: ['client API'],
        summary: 'Report what devices did with packages (at most 100 events); feeds adoption',
        security: [],
        body: EventsRequestSchema,
        response: responses({ 202: EventsAcceptedSchema }),
      },
    },
    async (request, reply) => reply.code(202).send(await app.services.events.record(request.body, { address: request.ip })),
  );
};
export default events;
