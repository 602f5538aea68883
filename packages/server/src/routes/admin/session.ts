import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ChangePasswordBodySchema, SessionOptionsSchema, SessionSchema, SignInBodySchema } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import { FLOW_TTL_MS } from '../../modules/auth/oidc.service.js';
import { principalOf, SESSION_COOKIE } from '../../plugins/app/auth.js';
import { toAppError } from '../../plugins/app/problem.js';
import { NoContent, responses } from '../schemas.js';

/** The sealed single sign-on flow (state, nonce, PKCE verifier) between /oidc/start and /oidc/callback. */
const FLOW_COOKIE = 'mpop_oidc';
const FLOW_PATH = '/api/v1/session/oidc';
const Redirect = Type.Null({ description: 'A redirect (Location header)' });

const session: FastifyPluginAsyncTypebox = async (app) => {
  const secure = app.config.publicUrl.startsWith('https://');
  const setSessionCookie = (reply: FastifyReply, cookie: string, expires: Date) =>
    reply.setCookie(SESSION_COOKIE, cookie, { httpOnly: true, sameSite: 'strict', secure, path: '/', expires });

  app.get(
    '/session/options',
    {
      config: { role: 'public' },
      schema: {
        tags: ['session'],
        summary: 'How the sign-in page offers to sign in: user name and password, single sign-on, or both',
        security: [],
        response: responses({ 200: SessionOptionsSchema }),
      },
    },
    async () => ({
      localSignIn: app.config.localSignIn,
      sso: Boolean(app.services.oidc),
      publicUrl: app.config.publicUrl,
      ...((await app.services.users.hasUsers()) ? {} : { noUsers: true }),
    }),
  );

  app.post(
    '/session',
    {
      config: { role: 'public', checkOrigin: true },
      schema: { tags: ['session'], summary: 'Sign in', security: [], body: SignInBodySchema, response: responses({ 200: SessionSchema }) },
    },
    async (request, reply) => {
      if (!app.config.localSignIn) {
        throw new AppError('LOCAL_SIGNIN_DISABLED', 'Sign-in with a user name and password is turned off here; use "Sign in with SSO".');
      }
      const { cookie, user, expiresAt } = await app.services.auth.signIn(request.body.username, request.body.password, request.ip);
      setSessionCookie(reply, cookie, expiresAt);
      return { user };
    },
  );

  app.get(
    '/session',
    {
      config: { role: 'member' },
      schema: { tags: ['session'], summary: 'The signed-in user', response: responses({ 200: SessionSchema }) },
    },
    async (request) => {
      const p = principalOf(request);
      return { user: { username: p.username, role: p.role, memberships: p.memberships } };
    },
  );

  app.delete(
    '/session',
    {
      config: { role: 'member' },
      schema: { tags: ['session'], summary: 'Sign out', response: responses({ 204: NoContent }) },
    },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) await app.services.auth.signOut(cookie, principalOf(request).username, request.ip);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  const requireSso = () => {
    if (!app.services.oidc) {
      throw new AppError(
        'SSO_NOT_CONFIGURED',
        'Single sign-on is not configured here: set MPOP_OIDC_ISSUER, MPOP_OIDC_CLIENT_ID and MPOP_OIDC_CLIENT_SECRET.',
      );
    }
    return app.services.oidc;
  };

  /**
   * A browser (it asked for HTML) is sent back to the sign-in page, which explains the code in its language; any
   * other client gets the problem.
   */
  const refuse = (request: FastifyRequest, reply: FastifyReply, err: unknown) => {
    const problem = toAppError(err as never, request);
    if (!String(request.headers.accept ?? '').includes('text/html')) throw problem;
    request.log.warn({ code: problem.code, detail: problem.detail }, 'single sign-on refused');
    return reply.redirect(`/sign-in?ssoError=${problem.code}`, 303);
  };

  app.get(
    '/session/oidc/start',
    {
      config: { role: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Sign in with SSO: redirects to the OpenID Connect provider (authorization code flow with PKCE)',
        security: [],
        querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 512, description: 'a path to return to' })) }),
        response: responses({ 302: Redirect }),
      },
    },
    async (request, reply) => {
      try {
        const { url, sealedFlow } = await requireSso().start(request.query.next);
        reply.setCookie(FLOW_COOKIE, sealedFlow, { httpOnly: true, sameSite: 'lax', secure, path: FLOW_PATH, maxAge: FLOW_TTL_MS / 1000 });
        return reply.redirect(url, 302);
      } catch (err) {
        return refuse(request, reply, err);
      }
    },
  );

  app.get(
    '/session/oidc/callback',
    {
      config: { role: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Where the OpenID Connect provider sends the browser back: opens a session and redirects to the console',
        security: [],
        querystring: Type.Object({
          code: Type.Optional(Type.String({ maxLength: 4096 })),
          state: Type.Optional(Type.String({ maxLength: 1024 })),
          iss: Type.Optional(Type.String({ maxLength: 1024 })),
          error: Type.Optional(Type.String({ maxLength: 256 })),
          error_description: Type.Optional(Type.String({ maxLength: 2048 })),
        }),
        response: responses({ 303: Redirect }),
      },
    },
    async (request, reply) => {
      // The flow cookie is used once, whatever the outcome.
      reply.clearCookie(FLOW_COOKIE, { path: FLOW_PATH });
      try {
        const callbackUrl = new URL(request.url, app.config.publicUrl);
        const { session, next } = await requireSso().finish(callbackUrl, request.cookies[FLOW_COOKIE], request.ip);
        setSessionCookie(reply, session.cookie, session.expiresAt);
        return reply.redirect(next, 303);
      } catch (err) {
        return refuse(request, reply, err);
      }
    },
  );

  app.put(
    '/session/password',
    {
      config: { role: 'member' },
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
