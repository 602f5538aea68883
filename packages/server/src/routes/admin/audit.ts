import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditEventSchema, AuditQuerySchema, Page } from '@mpop/contracts';
import { AuditRepository } from '../../modules/audit/audit.repository.js';
import { responses } from '../schemas.js';

const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit-events',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first',
        querystring: AuditQuerySchema,
        response: responses({ 200: Page(AuditEventSchema) }),
      },
    },
    async (request) =>
      new AuditRepository(app.db).list({
        page: request.query.page ?? 1,
        pageSize: request.query.pageSize ?? 20,
        action: request.query.action,
      }),
  );
};
export default audit;
