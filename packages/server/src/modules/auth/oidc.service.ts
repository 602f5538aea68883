import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type * as OidcLib from 'openid-client';

/** openid-client, loaded on the first single sign-on (about 8 MiB that a server without SSO never needs). */
let oidc: typeof OidcLib;
import { type Role, Roles } from '@mpop/contracts';
import type { Config } from '../../config.js';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../lib/app-error.js';
import type { SecretBox } from '../../lib/crypto.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { type AuthService, type OpenedSession, SSO_PASSWORD_HASH } from './auth.service.js';
import { roleAtLeast } from './roles.js';
import { UserRepository } from './user.repository.js';

type OidcConfig = NonNullable<Config['oidc']>;

/** What the browser carries between /oidc/start and /oidc/callback: sealed, so it can be neither read nor forged. */
interface Flow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where the console sends the user afterwards (a path on this site). */
  next: string;
  /** Milliseconds since the epoch; a flow older than FLOW_TTL_MS is refused. */
  at: number;
}

export const FLOW_TTL_MS = 10 * 60_000;
const FLOW_AAD = 'mpop:oidc-flow:v1';
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const failed = (detail: string, status?: number) => new AppError('SSO_FAILED', detail, status ? { status } : {});

/**
 * A place on this site to return to after signing in, as the path, query and fragment to put in `Location`;
 * anything else becomes `/`. `next` is read exactly as a browser reads a relative URL (WHATWG: tabs and line breaks
 * dropped, `\\` taken as `/`, so `/\t/evil.example` is `//evil.example`, another site), and only a result on the
 * platform's own origin is kept. The answer is serialised by the URL parser, hence plain ASCII: any character a
 * header cannot carry (U+3000) is percent-encoded rather than failing the redirect.
 */
export function safeNext(next: unknown, publicOrigin: string): string {
  if (typeof next !== 'string' || next.length > 512 || !next.startsWith('/')) return '/';
  try {
    const own = new URL(publicOrigin).origin;
    const url = new URL(next, own);
    if (url.origin !== own) return '/';
    const place = `${url.pathname}${url.search}${url.hash}`;
    return place.startsWith('/') && !place.startsWith('//') && !place.startsWith('/\\') ? place : '/';
  } catch {
    return '/';
  }
}

/** Looks a claim up by its full name (`https://example.com/roles`), else as a dotted path (`realm_access.roles`). */
function claimValue(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  return name
    .split('.')
    .reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), claims);
}

/** The highest mpop role named by a claim value: a string, or a list of strings (groups); case is ignored. */
export function roleFromClaim(value: unknown): Role | undefined {
  const names = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase());
  const roles = Roles.filter((r) => names.includes(r));
  return roles.reduce<Role | undefined>((best, r) => (!best || roleAtLeast(r, best) ? r : best), undefined);
}

/** A user name of the platform's form from the identity's claims: preferred_username, else email, else one from sub. */
function usernameFrom(claims: Record<string, unknown>, subjectHash: string): string {
  for (const raw of [claims.preferred_username, claims.email]) {
    if (typeof raw !== 'string') continue;
    const name = raw
      .normalize('NFKC')
      .replace(/[^A-Za-z0-9._@-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64);
    if (USERNAME.test(name)) return name;
  }
  return `sso-${subjectHash.slice(0, 12)}`;
}

/**
 * Single sign-on with an OpenID Connect provider: the authorization code flow with PKCE (openid-client), state and
 * nonce checked, the flow sealed in a short-lived cookie (it works whichever instance the browser comes back to).
 * The role comes from a claim (`MPOP_OIDC_ROLE_CLAIM`) or the default role; without either the sign-in is refused.
 * A user is created on the first sign-in and bound to the identity (issuer, subject) for good; the role follows
 * the provider at every sign-in.
 */
export class OidcService {
  private discovered?: Promise<OidcLib.Configuration>;
  readonly redirectUri: string;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly auth: AuthService,
    private readonly settings: OidcConfig,
    private readonly publicUrl: string,
  ) {
    this.redirectUri = `${publicUrl}/api/v1/session/oidc/callback`;
  }

  /** The provider's metadata, discovered once (and again after a failure). */
  private configuration(): Promise<OidcLib.Configuration> {
    this.discovered ??= (async () => {
      const issuer = new URL(this.settings.issuer);
      // Plain http only for a provider on this machine (development, tests); tokens never cross a network in clear.
      const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
      oidc ??= await import('openid-client');
      try {
        return await oidc.discovery(issuer, this.settings.clientId, this.settings.clientSecret, undefined, {
          timeout: 10,
          ...(issuer.protocol === 'http:' && loopback ? { execute: [oidc.allowInsecureRequests] } : {}),
        });
      } catch (err) {
        this.discovered = undefined;
        throw failed(
          `The identity provider at ${issuer.origin} could not be reached or did not describe itself (${(err as Error).message}). Check MPOP_OIDC_ISSUER.`,
          502,
        );
      }
    })();
    return this.discovered;
  }

  /** @returns where to send the browser, and the sealed flow to keep in its cookie until it comes back. */
  async start(next: unknown): Promise<{ url: string; sealedFlow: string }> {
    const config = await this.configuration();
    const flow: Flow = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      next: safeNext(next, this.publicUrl),
      at: Date.now(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid profile email',
      response_type: 'code',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, sealedFlow: this.box.seal(Buffer.from(JSON.stringify(flow)), FLOW_AAD) };
  }

  /**
   * Completes the flow: exchanges the code (checking state, nonce and PKCE), maps the identity to a user and opens a
   * session. @returns the session and where to send the browser.
   */
  async finish(callbackUrl: URL, sealedFlow: string | undefined, address?: string): Promise<{ session: OpenedSession; next: string }> {
    const flow = this.openFlow(sealedFlow);
    const providerError = callbackUrl.searchParams.get('error');
    if (providerError) {
      const description = callbackUrl.searchParams.get('error_description');
      throw failed(`The identity provider refused the sign-in (${providerError}${description ? `: ${description.slice(0, 200)}` : ''}).`);
    }
    const config = await this.configuration();
    let claims: Record<string, unknown>;
    let accessToken: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      accessToken = tokens.access_token;
    } catch (err) {
      throw failed(`The answer of the identity provider could not be verified (${(err as Error).message}). Start the sign-in again.`);
    }
    const roleClaim = this.settings.roleClaim;
    if (roleClaim && claimValue(claims, roleClaim) === undefined && config.serverMetadata().userinfo_endpoint) {
      // Some providers put custom claims only in the user info, not in the ID token.
      try {
        claims = { ...(await oidc.fetchUserInfo(config, accessToken, String(claims.sub))), ...claims };
      } catch {
        // The ID token is what counts; a failing user info endpoint only means no claim from it.
      }
    }
    const role = (roleClaim ? roleFromClaim(claimValue(claims, roleClaim)) : undefined) ?? this.settings.defaultRole;
    if (!role) {
      throw new AppError(
        'SSO_ROLE_MISSING',
        roleClaim
          ? `Your identity has no mpop role: the claim "${roleClaim}" must name viewer, operator or admin. Ask your identity provider's administrator to assign you one.`
          : 'No role can be given to users of single sign-on: the operator must set MPOP_OIDC_ROLE_CLAIM or MPOP_OIDC_DEFAULT_ROLE.',
      );
    }
    const user = await this.userFor(config.serverMetadata().issuer, String(claims.sub), claims, role, address);
    return { session: await this.auth.openSession(user, 'sso', address), next: safeNext(flow.next, this.publicUrl) };
  }

  private openFlow(sealed: string | undefined): Flow {
    const restart = 'Start the sign-in again from the sign-in page (it must finish within 10 minutes, in the same browser).';
    if (!sealed) throw failed(`This sign-in was not started here, or its time ran out. ${restart}`);
    let flow: Flow;
    try {
      flow = JSON.parse(this.box.open(sealed, FLOW_AAD).toString('utf8')) as Flow;
    } catch {
      throw failed(`The sign-in could not be matched to its start. ${restart}`);
    }
    if (Date.now() - flow.at > FLOW_TTL_MS) throw failed(`The sign-in took too long. ${restart}`);
    return flow;
  }

  /**
   * The user bound to this identity, created on the first sign-in. The name comes from the claims; if another user
   * has it, a suffix made from the identity keeps them apart (an identity never takes over an existing account).
   */
  private async userFor(issuer: string, subject: string, claims: Record<string, unknown>, role: Role, address?: string) {
    const subjectHash = createHash('sha256').update(`${issuer}\n${subject}`).digest('hex');
    return this.db.transaction().execute(async (trx) => {
      const users = new UserRepository(trx);
      const audit = new AuditRepository(trx);
      const existing = await users.findBySso(issuer, subject);
      if (existing) {
        if (existing.disabledAt !== null) {
          throw new AppError('USER_DISABLED', `The user "${existing.username}" is disabled here. Ask an admin to enable it.`);
        }
        if (existing.role !== role) {
          await users.setRole(existing.username, role);
          await audit.record({
            actor: 'sso',
            address,
            action: 'user.updated',
            target: `user:${existing.username}`,
            details: { role, previousRole: existing.role, via: 'sso' },
          });
        }
        return { username: existing.username, role };
      }
      let username = usernameFrom(claims, subjectHash);
      if (await users.find(username)) username = `${username.slice(0, 55)}-${subjectHash.slice(0, 8)}`;
      if (await users.find(username))
        throw failed('A user name could not be chosen for your identity; ask an admin to look at the users list.');
      await users.insert({ username, passwordHash: SSO_PASSWORD_HASH, role, createdAt: nowIso(), ssoIssuer: issuer, ssoSubject: subject });
      await audit.record({
        actor: 'sso',
        address,
        action: 'user.created',
        target: `user:${username}`,
        details: { role, via: 'sso', issuer },
      });
      return { username, role };
    });
  }
}
