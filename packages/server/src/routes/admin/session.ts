import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChangePasswordBodySchema, SessionSchema, SignInBodySchema } from '@mpop/contracts';
import { principalOf, SESSION_COOKIE } from '../../plugins/app/auth.js';
import { NoContent, responses } from '../schemas.js';

const session: FastifyPluginAsyncTypebox = async (app) => {
  const secure = app.config.publicUrl.startsWith('https://');

  app.post(
    '/session',
    {
      config: { role: 'public' },
      schema: { tags: ['session'], summary: 'Sign in', body: SignInBodySchema, response: responses({ 200: SessionSchema }) },
    },
    async (request, reply) => {
      const { cookie, user, expiresAt } = await app.services.auth.signIn(request.body.username, request.body.password, request.ip);
      reply.setCookie(SESSION_COOKIE, cookie, { httpOnly: true, sameSite: 'strict', secure, path: '/', expires: expiresAt });
      return { user };
    },
  );

  app.get(
    '/session',
    {
      schema: { tags: ['session'], summary: 'The signed-in user', response: responses({ 200: SessionSchema }) },
    },
    async (request) => {
      const p = principalOf(request);
      return { user: { username: p.username, role: p.role } };
    },
  );

  app.delete(
    '/session',
    {
      config: { role: 'viewer' },
      schema: { tags: ['session'], summary: 'Sign out', response: responses({ 204: NoContent }) },
    },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) await app.services.auth.signOut(cookie, principalOf(request).username);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/session/password',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['session'],
        summary: "Change the signed-in user's own password; their other sessions end",
        description: 'Needs a console session (an API token gets 403) and the current password (400 WRONG_CURRENT_PASSWORD).',
        body: ChangePasswordBodySchema,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      const { currentPassword, newPassword } = request.body;
      await app.services.users.changeOwnPassword(principalOf(request), request.cookies[SESSION_COOKIE], currentPassword, newPassword);
      return reply.code(204).send(null);
    },
  );
};
export default session;
