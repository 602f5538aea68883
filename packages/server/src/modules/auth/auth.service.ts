import type { Kysely } from 'kysely';
import { type Membership, type Role, type SessionUser, UsernameSchema } from '@mpop/contracts';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../lib/app-error.js';
import { newSecret, PASSWORD_HASH_CONCURRENCY, type PasswordHasher, sha256Hex } from '../../lib/crypto.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { type Attempt, LoginThrottle, Throttled } from './login-throttle.js';
import { MembershipRepository } from '../auth/membership.repository.js';
import { fromStoredRole, lowerPlatformRole } from './roles.js';
import { SessionRepository } from './session.repository.js';
import { TokenRepository } from './token.repository.js';
import { UserRepository } from './user.repository.js';

/** Who is making a request, and how they proved it. */
export interface Principal {
  username: string;
  /** The platform role; null for a member-only user (and its tokens), who reaches only its organisations. */
  role: Role | null;
  /** The organisations the user belongs to, read afresh for each request (a token carries its creator's, never more). */
  memberships: Membership[];
  via: 'session' | 'token';
  /** For audit: `alice` or `alice (token ci-deploy)`. */
  actor: string;
  /** For audit: the client address of the request (`request.ip`, MPOP_TRUST_PROXY honoured). */
  address?: string;
}

export const TOKEN_PREFIX = 'mpop_';
/** The password hash of users created by single sign-on: not a scrypt hash, so no password ever matches it. */
export const SSO_PASSWORD_HASH = 'sso';

export interface OpenedSession {
  cookie: string;
  user: SessionUser;
  expiresAt: Date;
}

/**
 * Password checks under way at once (hashing or waiting for a hash slot, a few seconds of waiting at most). One more
 * is asked to come back instead, so a burst from many addresses costs time and memory in proportion to this, not to
 * the size of the burst.
 */
export const MAX_PASSWORD_CHECKS = PASSWORD_HASH_CONCURRENCY + 16;

const tooManyAttempts = (seconds: number, why: string) =>
  new AppError('TOO_MANY_ATTEMPTS', `${why} Try again in ${seconds} seconds.`, { headers: { 'Retry-After': String(seconds) } });

export class AuthService {
  private readonly throttle = new LoginThrottle();
  /** Sign-ins between the throttle and the end of their password check. */
  private passwordChecks = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sessionTtlMs: number,
    /** Password hashes at the configured cost (MPOP_PASSWORD_HASH_COST). */
    private readonly passwords: PasswordHasher,
  ) {}

  /**
   * Verifies credentials and opens a session. The attempt is counted before the password is checked (see
   * LoginThrottle), the check waits its turn for a hash slot, and a failure is audited without the password.
   * @returns the cookie value (shown to nobody else) and the user.
   */
  async signIn(username: string, password: string, address: string): Promise<OpenedSession> {
    let attempt: Attempt;
    try {
      attempt = this.throttle.begin(username, address);
    } catch (err) {
      if (!(err instanceof Throttled)) throw err;
      throw tooManyAttempts(err.retryAfterSeconds, 'Too many failed sign-ins from your address.');
    }
    if (this.passwordChecks >= MAX_PASSWORD_CHECKS) {
      attempt.cancel();
      throw tooManyAttempts(2, 'The server is busy checking other sign-ins.');
    }
    let user: Awaited<ReturnType<UserRepository['find']>>;
    let ok: boolean;
    this.passwordChecks++;
    try {
      user = await new UserRepository(this.db).find(username);
      // Hash even for unknown users, so the answer time does not tell which user names exist.
      // Users of single sign-on have no password: they take as long to refuse as anyone else.
      const local = user && user.passwordHash !== SSO_PASSWORD_HASH ? user : undefined;
      ok = (await this.passwords.verify(password, local?.passwordHash ?? (await this.passwords.dummyHash()))) && local !== undefined;
    } catch (err) {
      attempt.cancel();
      throw err;
    } finally {
      this.passwordChecks--;
    }
    if (!user || !ok) {
      const lockedSeconds = attempt.fail();
      await this.recordFailedSignIn(username, address, lockedSeconds);
      throw new AppError('UNAUTHENTICATED', 'The user name or password is wrong.');
    }
    attempt.succeed();
    if (user.disabledAt !== null) {
      // Said only to someone who knows the password: it tells an attacker nothing they could use.
      throw new AppError('USER_DISABLED', 'This user is disabled. Ask an admin to enable it.');
    }
    // A hash made at an older cost is replaced now that the password is known (once; the new one needs no more).
    if (this.passwords.needsRehash(user.passwordHash)) {
      await new UserRepository(this.db).replacePasswordHash(user.username, user.passwordHash, await this.passwords.hash(password));
    }
    return this.openSession(user, 'password', address);
  }

  /**
   * Opens a server-side session for a user who has proved who they are (password or single sign-on).
   * @returns the cookie value (shown to nobody else), the user and when the session ends.
   */
  async openSession(
    user: { username: string; role: Role | 'none' | null },
    method: 'password' | 'sso',
    address?: string,
  ): Promise<OpenedSession> {
    const cookie = newSecret();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.sessionTtlMs);
    await this.db.transaction().execute(async (trx) => {
      const sessions = new SessionRepository(trx);
      await sessions.deleteExpired(now.toISOString()); // housekeeping: sign-ins are rare enough to carry it
      await sessions.insert({
        idHash: sha256Hex(cookie),
        username: user.username,
        createdAt: now.toISOString(),
        expiresAt: expiresAt.toISOString(),
      });
      await new AuditRepository(trx).record({
        actor: user.username,
        address,
        action: 'session.created',
        target: `user:${user.username}`,
        ...(method === 'sso' ? { details: { method } } : {}),
      });
    });
    const memberships = await new MembershipRepository(this.db).listForUser(user.username);
    return { cookie, user: { username: user.username, role: user.role === 'none' ? null : user.role, memberships }, expiresAt };
  }

  /**
   * One audit event per evaluated failure (attempts refused by the throttle are not evaluated, so an attacker cannot
   * flood the log faster than the throttle allows). Never the password; a user name that no user could have is not
   * echoed either.
   */
  private async recordFailedSignIn(username: string, address: string, lockedSeconds: number) {
    const { Value } = await import('typebox/value'); // loaded by the first failed sign-in, not at every start
    const name = Value.Check(UsernameSchema, username) ? username : '(not a user name)';
    await new AuditRepository(this.db).record({
      actor: 'anonymous',
      address,
      action: 'session.failed',
      target: `user:${name}`,
      details: { address, ...(lockedSeconds > 0 ? { lockedForSeconds: lockedSeconds } : {}) },
    });
  }

  async principalFromSession(cookie: string): Promise<Principal | undefined> {
    const s = await new SessionRepository(this.db).findLiveWithMemberships(sha256Hex(cookie), nowIso());
    if (!s) return undefined;
    return { username: s.username, role: fromStoredRole(s.role), memberships: s.memberships, via: 'session', actor: s.username };
  }

  async principalFromToken(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const repo = new TokenRepository(this.db);
    const t = await repo.findByHash(sha256Hex(token));
    const now = nowIso();
    // A disabled user's tokens stop working; an expired token is no token.
    if (!t || t.creatorDisabledAt !== null || (t.expiresAt !== null && t.expiresAt <= now)) return undefined;
    // Record use at most once a minute: the hot path of automation should not write on every call.
    if (!t.lastUsedAt || Date.parse(now) - Date.parse(t.lastUsedAt) > 60_000) await repo.touch(t.id, now);
    const memberships = await new MembershipRepository(this.db).listForUser(t.createdBy);
    return {
      username: t.createdBy,
      role: lowerPlatformRole(fromStoredRole(t.role), fromStoredRole(t.creatorRole)),
      memberships,
      via: 'token',
      actor: `${t.createdBy} (token ${t.name})`,
    };
  }

  async signOut(cookie: string, actor: string, address?: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await new SessionRepository(trx).delete(sha256Hex(cookie));
      await new AuditRepository(trx).record({ actor, address, action: 'session.deleted', target: `user:${actor}` });
    });
  }
}
