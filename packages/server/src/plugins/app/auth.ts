import fp from 'fastify-plugin';
import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import type { OrgRole, Role } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import type { AuthService, Principal } from '../../modules/auth/auth.service.js';
import { platformRoleAtLeast } from '../../modules/auth/roles.js';
import { requireOrgAccess } from '../../modules/organisations/org-access.js';

export const SESSION_COOKIE = 'mpop_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /**
     * The lowest platform role allowed; `public` routes need no authentication; `member` routes are open to every
     * signed-in user, members of organisations included, and decide by organisation (see `access`, or the service).
     * Defaults: GET → viewer, others → operator.
     */
    role?: Role | 'public' | 'member';
    /**
     * For `member` routes: the platform role or the organisation role the caller needs. The organisation is
     * `params.orgId`, or the mini program `params.id`'s (`from: 'params'`, the default); with `from: 'service'` the
     * service finds it (an association's), and here only callers without a high enough role or any membership
     * are refused. Others' organisations answer 404, as if absent.
     */
    access?: { platform: Role; org: OrgRole; from?: 'params' | 'service' };
    /** A public route that a browser page posts to (sign-in): checked against cross-site requests like a change. */
    checkOrigin?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthPluginOptions {
  auth: AuthService;
  /** The organisation a mini program belongs to, or undefined when there is no such mini program. */
  orgOfMiniProgram: (id: string) => Promise<string | undefined>;
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
    if (need !== 'member' && !platformRoleAtLeast(principal.role, need)) throw forbidden(principal.role, need);
    const access = request.routeOptions.config.access;
    if (access) await checkAccess(request, principal, access, opts.orgOfMiniProgram);
    // The address goes with the principal into every audit event the request records.
    request.principal = { ...principal, address: request.ip };
  });
});

/**
 * The organisation check of a `member` route, before its body is read (an upload from someone who may not
 * upload is refused before it is received). A platform role high enough passes without a lookup; otherwise the
 * organisation comes from `params.orgId`, or from the mini program `params.id`. Someone who sees nothing of that
 * organisation gets 404, as if it did not exist (an ill-formed ID finds nothing either).
 */
async function checkAccess(
  request: FastifyRequest,
  principal: Principal,
  access: NonNullable<FastifyContextConfig['access']>,
  orgOfMiniProgram: AuthPluginOptions['orgOfMiniProgram'],
) {
  if (platformRoleAtLeast(principal.role, access.platform)) return;
  const params = (access.from === 'service' ? {} : request.params) as { orgId?: string; id?: string };
  if (params.orgId !== undefined) {
    requireOrgAccess(principal, params.orgId, access, `The organisation "${params.orgId}"`);
  } else if (params.id !== undefined) {
    const what = `The mini program ${params.id}`;
    const orgId = await orgOfMiniProgram(params.id);
    if (orgId === undefined) {
      if (principal.role !== null) throw forbidden(principal.role, access.platform);
      throw new AppError('NOT_FOUND', `${what} does not exist.`);
    }
    requireOrgAccess(principal, orgId, access, what);
  } else if (principal.memberships.length === 0) {
    // The organisation is named in the body or found by the service: only members go on, to the service's check.
    throw forbidden(principal.role, access.platform);
  }
}

const forbidden = (have: Role | null, need: Role) =>
  new AppError(
    'FORBIDDEN',
    have === null
      ? `You have no platform role, only organisation memberships; this needs the ${need} role.`
      : `Your role (${have}) may not do this; it needs the ${need} role.`,
  );

/** The authenticated principal; routes behind the auth hook always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED', 'Sign in first.');
  return request.principal;
}
