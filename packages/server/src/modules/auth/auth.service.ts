import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Value } from 'typebox/value';
import { type CreatedToken, type Role, type SessionUser, type Token, type User, UsernameSchema } from '@mpop/contracts';
import type { Database } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/connect.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { dummyPasswordHash, hashPassword, newSecret, PASSWORD_HASH_CONCURRENCY, sha256Hex, verifyPassword } from '../../lib/crypto.js';
import { cleanName } from '../../lib/names.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { type Attempt, LoginThrottle, Throttled } from './login-throttle.js';
import { lowerRole, roleAtLeast } from './roles.js';
import { SessionRepository } from './session.repository.js';
import { TokenRepository } from './token.repository.js';
import { UserRepository } from './user.repository.js';

/** Who is making a request, and how they proved it. */
export interface Principal {
  username: string;
  role: Role;
  via: 'session' | 'token';
  /** For audit: `alice` or `alice (token ci-deploy)`. */
  actor: string;
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
  ) {}

  /** Creates the first admin from the environment when no user exists yet. @returns whether one was created. */
  async bootstrapAdmin(username?: string, password?: string): Promise<boolean> {
    if (!username || !password) return false;
    if ((await new UserRepository(this.db).count()) > 0) return false;
    await this.createUser({ username, password, role: 'admin' }, 'system');
    return true;
  }

  async hasUsers(): Promise<boolean> {
    return (await new UserRepository(this.db).count()) > 0;
  }

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
      ok = (await verifyPassword(password, local?.passwordHash ?? (await dummyPasswordHash()))) && local !== undefined;
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
    return this.openSession(user, 'password');
  }

  /**
   * Opens a server-side session for a user who has proved who they are (password or single sign-on).
   * @returns the cookie value (shown to nobody else), the user and when the session ends.
   */
  async openSession(user: { username: string; role: Role }, method: 'password' | 'sso'): Promise<OpenedSession> {
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
        action: 'session.created',
        target: `user:${user.username}`,
        ...(method === 'sso' ? { details: { method } } : {}),
      });
    });
    return { cookie, user: { username: user.username, role: user.role }, expiresAt };
  }

  /**
   * One audit event per evaluated failure (attempts refused by the throttle are not evaluated, so an attacker cannot
   * flood the log faster than the throttle allows). Never the password; a user name that no user could have is not
   * echoed either.
   */
  private async recordFailedSignIn(username: string, address: string, lockedSeconds: number) {
    const name = Value.Check(UsernameSchema, username) ? username : '(not a user name)';
    await new AuditRepository(this.db).record({
      actor: 'anonymous',
      action: 'session.failed',
      target: `user:${name}`,
      details: { address, ...(lockedSeconds > 0 ? { lockedForSeconds: lockedSeconds } : {}) },
    });
  }

  async principalFromSession(cookie: string): Promise<Principal | undefined> {
    const s = await new SessionRepository(this.db).findLive(sha256Hex(cookie), nowIso());
    return s && { username: s.username, role: s.role, via: 'session', actor: s.username };
  }

  async principalFromToken(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const repo = new TokenRepository(this.db);
    const t = await repo.findByHash(sha256Hex(token));
    if (!t) return undefined;
    // Record use at most once a minute: the hot path of automation should not write on every call.
    const now = nowIso();
    if (!t.lastUsedAt || Date.parse(now) - Date.parse(t.lastUsedAt) > 60_000) await repo.touch(t.id, now);
    return { username: t.createdBy, role: lowerRole(t.role, t.creatorRole), via: 'token', actor: `${t.createdBy} (token ${t.name})` };
  }

  async signOut(cookie: string, actor: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await new SessionRepository(trx).delete(sha256Hex(cookie));
      await new AuditRepository(trx).record({ actor, action: 'session.deleted', target: `user:${actor}` });
    });
  }

  listUsers(): Promise<User[]> {
    return new UserRepository(this.db).list();
  }

  async createUser(input: { username: string; password: string; role: Role }, actor: string): Promise<User> {
    const user = { username: input.username, passwordHash: await hashPassword(input.password), role: input.role, createdAt: nowIso() };
    try {
      await this.db.transaction().execute(async (trx) => {
        const users = new UserRepository(trx);
        if (await users.find(input.username)) throw userExists(input.username);
        await users.insert(user);
        await new AuditRepository(trx).record({
          actor,
          action: 'user.created',
          target: `user:${input.username}`,
          details: { role: input.role },
        });
      });
    } catch (err) {
      throw isUniqueViolation(err) ? userExists(input.username) : err;
    }
    return { username: user.username, role: user.role, sso: false, createdAt: user.createdAt };
  }

  async deleteUser(username: string, actor: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const users = new UserRepository(trx);
      const user = await users.find(username);
      if (!user) throw notFound(`User "${username}"`);
      if (user.role === 'admin' && (await users.countAdmins()) === 1) {
        throw new AppError('FORBIDDEN', 'This is the last admin; create another admin before deleting it.');
      }
      await users.delete(username);
      await new AuditRepository(trx).record({ actor: actor.actor, action: 'user.deleted', target: `user:${username}` });
    });
  }

  /** Creates a token with the caller's role or a lower one. The token text is returned here and never again. */
  async createToken(input: { name: string; role?: Role }, principal: Principal): Promise<CreatedToken> {
    const name = cleanName(input.name, { field: 'name', label: 'The token name', max: 64 });
    const role = input.role ?? principal.role;
    if (!roleAtLeast(principal.role, role)) {
      throw new AppError('FORBIDDEN', `A ${principal.role} cannot create a token with the ${role} role.`);
    }
    const token = newSecret(TOKEN_PREFIX);
    const id = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      await new TokenRepository(trx).insert({
        id,
        name,
        role,
        tokenHash: sha256Hex(token),
        createdBy: principal.username,
        createdAt: nowIso(),
      });
      await new AuditRepository(trx).record({
        actor: principal.actor,
        action: 'token.created',
        target: `token:${id}`,
        details: { name, role },
      });
    });
    return { id, name, role, token };
  }

  /** Admins see every token; others their own. */
  listTokens(principal: Principal): Promise<Token[]> {
    return new TokenRepository(this.db).list(principal.role === 'admin' ? undefined : principal.username);
  }

  async revokeToken(id: string, principal: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const tokens = new TokenRepository(trx);
      const t = await tokens.find(id);
      // A token the caller may not see answers 404, not 403: its existence is not theirs to learn.
      if (!t || (principal.role !== 'admin' && t.createdBy !== principal.username)) throw notFound('Token');
      await tokens.delete(id);
      await new AuditRepository(trx).record({
        actor: principal.actor,
        action: 'token.revoked',
        target: `token:${id}`,
        details: { name: t.name },
      });
    });
  }
}

const userExists = (username: string) =>
  new AppError('USER_EXISTS', `A user named "${username}" already exists; choose another user name.`);
