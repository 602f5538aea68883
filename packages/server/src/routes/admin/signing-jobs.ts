import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SigningJobListSchema, SigningJobSchema } from '@mpop/contracts';
import { AuditRepository } from '../../modules/audit/audit.repository.js';
import { principalOf } from '../../plugins/app/auth.js';
import { responses } from '../schemas.js';

/** The signing jobs of this instance: progress, failures with their reason, and a retry. */
const signingJobs: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['signing jobs'];

  app.get(
    '/signing-jobs',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        summary: 'Recent signing jobs of this instance (the last 50), newest first, with progress',
        response: responses({ 200: SigningJobListSchema }),
      },
    },
    async () => ({ items: app.services.signer.list() }),
  );

  app.post(
    '/signing-jobs/retry',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Sign everything still missing (what failed jobs left undone); answers the new job',
        description: 'Up to 20 signatures are made before the answer; more continue in the background (follow GET /signing-jobs).',
        response: responses({ 200: SigningJobSchema }),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const job = await app.services.signer.signMissing({}, { code: 'retry', params: { username: principal.username } });
      await new AuditRepository(app.db).record({
        actor: principal.actor,
        address: principal.address,
        action: 'signing.retried',
        target: `signing-job:${job.id}`,
        details: { total: job.total },
      });
      return job;
    },
  );
};
export default signingJobs;
