import type { Insertable } from 'kysely';
import { type Executor, prepared } from '../../db/executor.js';
import type { SessionsTable } from '../../db/schema.js';

/** Server-side sessions: they survive a restart and sign-out really ends them. */
export class SessionRepository {
  constructor(private readonly db: Executor) {}

  async insert(s: Insertable<SessionsTable>) {
    await this.db.insertInto('sessions').values(s).execute();
  }

  /**
   * The live session, its user's platform role and organisation memberships (ordered by organisation), in one
   * query: every request of the console asks. @returns undefined when unknown, expired, or the user is disabled.
   */
  async findLiveWithMemberships(idHash: string, now: string) {
    const rows = await this.db
      .selectFrom('sessions')
      .modifyFront(prepared)
      .innerJoin('users', 'users.username', 'sessions.username')
      .leftJoin('memberships', 'memberships.username', 'sessions.username')
      .select(['sessions.username', 'users.role', 'memberships.orgId', 'memberships.role as orgRole'])
      .where('sessions.idHash', '=', idHash)
      .where('sessions.expiresAt', '>', now)
      .where('users.disabledAt', 'is', null)
      .orderBy('memberships.orgId')
      .execute();
    if (rows.length === 0) return undefined;
    const memberships = rows.flatMap((r) => (r.orgId !== null && r.orgRole !== null ? [{ orgId: r.orgId, role: r.orgRole }] : []));
    return { username: rows[0].username, role: rows[0].role, memberships };
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
