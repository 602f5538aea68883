import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CreateUserBodySchema, UserListSchema, UserSchema } from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

const users: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/users',
    {
      config: { role: 'admin' },
      schema: { tags: ['users'], summary: 'List users', response: responses({ 200: UserListSchema }) },
    },
    async () => ({ items: await app.services.auth.listUsers() }),
  );

  app.post(
    '/users',
    {
      config: { role: 'admin' },
      schema: { tags: ['users'], summary: 'Create a user', body: CreateUserBodySchema, response: responses({ 201: UserSchema }) },
    },
    async (request, reply) => reply.code(201).send(await app.services.auth.createUser(request.body, principalOf(request).actor)),
  );

  app.delete(
    '/users/:username',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Delete a user',
        params: Type.Object({ username: Type.String({ maxLength: 64 }) }),
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await app.services.auth.deleteUser(request.params.username, principalOf(request));
      return reply.code(204).send(null);
    },
  );
};
export default users;
