import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateUserBodySchema, UpdateUserBodySchema, UserListSchema, UserParamsSchema, UserSchema } from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

/** Console users (admin only). User names are matched whatever their case. */
const users: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.users;
  const tags = ['users'];

  app.get(
    '/users',
    {
      config: { role: 'admin' },
      schema: { tags, summary: 'List users', response: responses({ 200: UserListSchema }) },
    },
    async () => ({ items: await svc.list() }),
  );

  app.post(
    '/users',
    {
      config: { role: 'admin' },
      schema: { tags, summary: 'Create a user', body: CreateUserBodySchema, response: responses({ 201: UserSchema }) },
    },
    async (request, reply) => reply.code(201).send(await svc.create(request.body, principalOf(request).actor, request.ip)),
  );

  app.patch(
    '/users/:username',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Change a user: role, disabled, or a new password (which ends their sessions)',
        description: 'The last enabled admin can be neither demoted nor disabled: 409 LAST_ADMIN.',
        params: UserParamsSchema,
        body: UpdateUserBodySchema,
        response: responses({ 200: UserSchema }),
      },
    },
    async (request) => svc.update(request.params.username, request.body, principalOf(request)),
  );

  app.delete(
    '/users/:username',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Delete a user (their sessions and tokens go with them)',
        description: 'The last enabled admin cannot be deleted: 409 LAST_ADMIN.',
        params: UserParamsSchema,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await svc.delete(request.params.username, principalOf(request));
      return reply.code(204).send(null);
    },
  );
};
export default users;
