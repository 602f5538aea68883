import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CreatedTokenSchema, CreateTokenBodySchema, TokenListSchema } from '@mpop/contracts';
import { principalOf } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

/**
 * API tokens for automation. Any signed-in user may make one with their own role or a lower one, from a console
 * session (a token cannot make tokens).
 */
// Every signed-in user, member-only users too: a vendor's CI runs on its own token.
const tokens: FastifyPluginAsyncTypebox = async (app) => {
  const svc = app.services.tokens;
  const tags = ['tokens'];

  app.get(
    '/tokens',
    {
      config: { role: 'member' },
      schema: {
        tags,
        summary: 'List API tokens, with last use and expiry (never the token itself); admins see every one',
        response: responses({ 200: TokenListSchema }),
      },
    },
    async (request) => ({ items: await svc.list(principalOf(request)) }),
  );

  app.post(
    '/tokens',
    {
      config: { role: 'member' },
      schema: {
        tags,
        summary: 'Create an API token; the answer is the only time it is shown',
        description:
          'Only a signed-in session may create tokens (an API token gets 403). `expiresAt` is optional; expired tokens answer 401.',
        body: CreateTokenBodySchema,
        response: responses({ 201: CreatedTokenSchema }),
      },
    },
    async (request, reply) => reply.code(201).send(await svc.create(request.body, principalOf(request))),
  );

  app.delete(
    '/tokens/:id',
    {
      config: { role: 'member' },
      schema: {
        tags,
        summary: 'Revoke an API token',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await svc.revoke(request.params.id, principalOf(request));
      return reply.code(204).send(null);
    },
  );
};
export default tokens;
