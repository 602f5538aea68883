import type { Insertable } from 'kysely';
import type { Executor } from '../../db/executor.js';
import type { SessionsTable } from '../../db/schema.js';

/** Server-side sessions: they survive a restart and sign-out really ends them. */
export class SessionRepository {
  constructor(private readonly db: Executor) {}

  async insert(s: Insertable<SessionsTable>) {
    await this.db.insertInto('sessions').values(s).execute();
  }

  /** @returns the live session and its user, or undefined when unknown, expired, or the user is disabled. */
  findLive(idHash: string, now: string) {
    return this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.username', 'sessions.username')
      .select(['sessions.username', 'users.role', 'sessions.expiresAt'])
      .where('sessions.idHash', '=', idHash)
      .where('sessions.expiresAt', '>', now)
      .where('users.disabledAt', 'is', null)
      .executeTakeFirst();
  }

  async delete(idHash: string) {
    await this.db.deleteFrom('sessions').where('idHash', '=', idHash).execute();
  }

  /** Ends every session of a user (stored spelling of the name), except `keepIdHash` when given. */
  async deleteForUser(username: string, keepIdHash?: string) {
    let q = this.db.deleteFrom('sessions').where('username', '=', username);
    if (keepIdHash) q = q.where('idHash', '!=', keepIdHash);
    await q.execute();
  }

  async deleteExpired(now: string) {
    await this.db.deleteFrom('sessions').where('expiresAt', '<=', now).execute();
  }
}
