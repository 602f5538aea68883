import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { Role } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import type { AuthService, Principal } from '../../modules/auth/auth.service.js';
import { roleAtLeast } from '../../modules/auth/roles.js';

export const SESSION_COOKIE = 'mpop_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The lowest role allowed; `public` routes need no authentication. Defaults: GET → viewer, others → operator. */
    role?: Role | 'public';
    /** A public route that a browser page posts to (sign-in): checked against cross-site requests like a change. */
    checkOrigin?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthPluginOptions {
  auth: AuthService;
  /** The origin the console is served from (MPOP_PUBLIC_URL). */
  publicOrigin: string;
}

/** The principal of a request: an API token (`Authorization: Bearer`) or the session cookie. */
async function authenticate(request: FastifyRequest, auth: AuthService): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, token] = header.split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) return undefined;
    return auth.principalFromToken(token);
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? auth.principalFromSession(cookie) : undefined;
}

const csrfRejected = () =>
  new AppError('CSRF_REJECTED', 'This request came from another site and was refused. Use the console at its own address.');

/** The origin of a URL, or undefined when it is not one (`null`, garbage). */
function originOf(url: string): string | undefined {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * A cookie-authenticated state change (and a sign-in, against login CSRF) must come from our own pages. Browsers
 * say where a request comes from in up to three ways, and every one present must name the platform's origin (or
 * the Host the request was addressed to):
 * - `Origin` (sent by every current browser on such requests);
 * - `Sec-Fetch-Site` when `Origin` is missing: only `same-origin` (or `none`, typed by the user) passes;
 *   `same-site` is refused, since a sibling subdomain is another application;
 * - `Referer` when `Origin` is missing: its origin must be ours.
 * A request with none of them is not a browser's (curl, scripts) and passes: the SameSite=Strict cookie is the
 * first line of defence. Tokens are never sent automatically by browsers, so they need no such check.
 */
export function checkOrigin(request: FastifyRequest, publicOrigin: string) {
  const own = new Set([publicOrigin, `${request.protocol}://${request.host}`]);
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (!own.has(origin)) throw csrfRejected();
    return;
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw csrfRejected();
  const referer = request.headers.referer;
  if (referer !== undefined) {
    const from = originOf(referer);
    if (!from || !own.has(from)) throw csrfRejected();
  }
}

/** Authenticates and authorises every route of the scope it is registered in, by the route's `config.role`. */
export default fp<AuthPluginOptions>(async (app, opts) => {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const need = request.routeOptions.config.role ?? (SAFE_METHODS.has(request.method) ? 'viewer' : 'operator');
    if (need === 'public') {
      if (request.routeOptions.config.checkOrigin && !SAFE_METHODS.has(request.method)) checkOrigin(request, opts.publicOrigin);
      return;
    }
    const principal = await authenticate(request, opts.auth);
    if (!principal) throw new AppError('UNAUTHENTICATED', 'Sign in, or send a valid API token (Authorization: Bearer …).');
    if (principal.via === 'session' && !SAFE_METHODS.has(request.method)) checkOrigin(request, opts.publicOrigin);
    if (!roleAtLeast(principal.role, need)) {
      throw new AppError('FORBIDDEN', `Your role (${principal.role}) may not do this; it needs the ${need} role.`);
    }
    // The address goes with the principal into every audit event the request records.
    request.principal = { ...principal, address: request.ip };
  });
});

/** The authenticated principal; routes behind the auth hook always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED', 'Sign in first.');
  return request.principal;
}
