import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CreatedTokenSchema, CreateTokenBodySchema, TokenListSchema } from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

/** API tokens for automation. Any signed-in user may make one with their own role or a lower one. */
const tokens: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/tokens',
    {
      config: { role: 'viewer' },
      schema: { tags: ['tokens'], summary: 'List API tokens (never the token itself)', response: responses({ 200: TokenListSchema }) },
    },
    async (request) => ({ items: await app.services.auth.listTokens(principalOf(request)) }),
  );

  app.post(
    '/tokens',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token; the answer is the only time it is shown',
        body: CreateTokenBodySchema,
        response: responses({ 201: CreatedTokenSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await app.services.auth.createToken(request.body, principalOf(request))),
  );

  app.delete(
    '/tokens/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an API token',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await app.services.auth.revokeToken(request.params.id, principalOf(request));
      return reply.code(204).send(null);
    },
  );
};
export default tokens;
