import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AdoptionQuerySchema, AdoptionSchema, MiniProgramParamsSchema } from '@mpop/contracts';
import { responses } from '../schemas.js';

/** Adoption of a mini program's versions across the fleet, from the events host apps report. */
const adoption: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/mini-programs/:id/adoption',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['mini programs'],
        summary: 'Devices per version (their latest report within the window) and event counts, for one host app or all',
        description:
          '`days` (1..366, default 7) is the window. With `appId` (and its `workspaceId`) for one host app; with only `workspaceId` for the host apps of that workspace; with neither for all.',
        params: MiniProgramParamsSchema,
        querystring: AdoptionQuerySchema,
        response: responses({ 200: AdoptionSchema }),
      },
    },
    async (request) => app.services.events.adoption(request.params.id, request.query),
  );
};
export default adoption;
