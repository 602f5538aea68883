import type { Kysely } from 'kysely';
import type { Role, SessionUser } from '@mpop/contracts';
import type { Database } from '../../db/schema.js';
import { AppError } from '../../lib/app-error.js';
import { dummyPasswordHash, newSecret, sha256Hex, verifyPassword } from '../../lib/crypto.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { LoginThrottle } from './login-throttle.js';
import { lowerRole } from './roles.js';
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

export class AuthService {
  private readonly throttle = new LoginThrottle();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sessionTtlMs: number,
  ) {}

  /** Verifies credentials and opens a session. @returns the cookie value (shown to nobody else) and the user. */
  async signIn(username: string, password: string, address: string): Promise<{ cookie: string; user: SessionUser; expiresAt: Date }> {
    const wait = this.throttle.retryAfter(username, address);
    if (wait > 0) {
      throw new AppError('TOO_MANY_ATTEMPTS', `Too many failed sign-ins. Try again in ${wait} seconds.`, {
        headers: {
          'Retry-After': String(wait),
        },
      });
    }
    const user = await new UserRepository(this.db).find(username);
    // Hash even for unknown users, so the answer time does not tell which user names exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) {
      this.throttle.fail(username, address);
      throw new AppError('UNAUTHENTICATED', 'The user name or password is wrong.');
    }
    if (user.disabledAt !== null) {
      // Said only to someone who knows the password: it tells an attacker nothing they could use.
      throw new AppError('USER_DISABLED', 'This user is disabled. Ask an admin to enable it.');
    }
    this.throttle.succeed(username);
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
      await new AuditRepository(trx).record({ actor: user.username, action: 'session.created', target: `user:${user.username}` });
    });
    return { cookie, user: { username: user.username, role: user.role }, expiresAt };
  }

  async principalFromSession(cookie: string): Promise<Principal | undefined> {
    const s = await new SessionRepository(this.db).findLive(sha256Hex(cookie), nowIso());
    return s && { username: s.username, role: s.role, via: 'session', actor: s.username };
  }

  async principalFromToken(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const repo = new TokenRepository(this.db);
    const t = await repo.findByHash(sha256Hex(token));
    const now = nowIso();
    if (!t || t.creatorDisabledAt !== null || (t.expiresAt !== null && t.expiresAt <= now)) return undefined;
    // Record use at most once a minute: the hot path of automation should not write on every call.
    if (!t.lastUsedAt || Date.parse(now) - Date.parse(t.lastUsedAt) > 60_000) await repo.touch(t.id, now);
    return { username: t.createdBy, role: lowerRole(t.role, t.creatorRole), via: 'token', actor: `${t.createdBy} (token ${t.name})` };
  }

  async signOut(cookie: string, actor: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await new SessionRepository(trx).delete(sha256Hex(cookie));
      await new AuditRepository(trx).record({ actor, action: 'session.deleted', target: `user:${actor}` });
    });
  }
}
