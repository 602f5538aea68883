import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EventsAcceptedSchema, EventsRequestSchema } from '@mpop/contracts';
import { responses } from '../schemas.js';

export interface EventsRoutesOptions {
  /** The per-host-app limit of the client API (throws RATE_LIMITED), shared with /resources. */
  limitHostApp?: (workspaceId: string, appId: string) => void;
}

/**
 * `POST /client/v1/events`: host apps report downloads, verifications, launches and failures. Registered inside
 * the client API's scope (routes/client/resources.ts), so the same rate limits cover it.
 */
const events: FastifyPluginAsyncTypebox<EventsRoutesOptions> = async (app, opts) => {
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
    async (request, reply) => {
      opts.limitHostApp?.(request.body.workspaceId, request.body.appId);
      return reply.code(202).send(await app.services.events.record(request.body));
    },
  );
};
export default events;
