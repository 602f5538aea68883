import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HostAppSchema, MpaasAppListSchema, MpaasWorkspaceListSchema, SyncHostAppBodySchema } from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { responses } from '../schemas.js';

const tags = ['mPaaS sync'];

const mpaas: FastifyPluginAsyncTypebox = async (app) => {
  const sync = app.services.mpaasSync;

  app.get(
    '/mpaas/apps',
    {
      schema: { tags, summary: 'The apps of the mPaaS backend (ListMappCenterApps)', response: responses({ 200: MpaasAppListSchema }) },
    },
    async () => ({ apps: await sync.directory.listApps() }),
  );

  app.get(
    '/mpaas/workspaces',
    {
      schema: {
        tags,
        summary: 'The workspaces of the mPaaS backend (ListMappCenterWorkspaces)',
        response: responses({ 200: MpaasWorkspaceListSchema }),
      },
    },
    async () => ({ workspaces: await sync.directory.listWorkspaces() }),
  );

  app.post(
    '/host-apps/sync',
    {
      config: { role: 'operator' },
      schema: {
        tags,
        summary: 'Sync an mPaaS app into a workspace: APPID, tenant ID and name copied from mPaaS',
        body: SyncHostAppBodySchema,
        response: responses({ 201: HostAppSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await sync.sync(request.body, principalOf(request))),
  );
};
export default mpaas;
