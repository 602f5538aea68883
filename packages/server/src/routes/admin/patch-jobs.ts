import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PatchJobListSchema, PatchJobQuerySchema } from '@mpop/contracts';
import { responses } from '../schemas.js';

/** The patch jobs releases queued (every instance's: they are rows): made, kept or not and why, still waiting. */
const patchJobs: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/patch-jobs',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['signing jobs'],
        summary: 'Patch jobs, newest first (all, or one mini program’s): kept patches, and those skipped or failed with why',
        description:
          'A release queues patches to its version from the last 3 released versions; they are made in the background and kept only when smaller than half the package. A skipped or failed job is a warning: devices then download the full package.',
        querystring: PatchJobQuerySchema,
        response: responses({ 200: PatchJobListSchema }),
      },
    },
    async (request) => ({ items: await app.services.patches.list(request.query) }),
  );
};
export default patchJobs;
