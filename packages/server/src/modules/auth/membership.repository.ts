import type { Membership, OrgRole } from '@mpop/contracts';
import { type Executor, prepared } from '../../db/executor.js';

/** Who belongs to which organisation, with which role. User names are the users' stored spelling. */
export class MembershipRepository {
  constructor(private readonly db: Executor) {}

  /** A user's memberships, by organisation ID. */
  async listForUser(username: string): Promise<Membership[]> {
    const rows = await this.db
      .selectFrom('memberships')
      .modifyFront(prepared)
      .select(['orgId', 'role'])
      .where('username', '=', username)
      .orderBy('orgId')
      .execute();
    return rows.map((r) => ({ orgId: r.orgId, role: r.role }));
  }

  listForOrg(orgId: string) {
    return this.db
      .selectFrom('memberships')
      .select(['username', 'role', 'createdAt as addedAt'])
      .where('orgId', '=', orgId)
      .orderBy('username')
      .execute();
  }

  find(orgId: string, username: string) {
    return this.db.selectFrom('memberships').selectAll().where('orgId', '=', orgId).where('username', '=', username).executeTakeFirst();
  }

  /** Adds the member or changes its role. @returns the previous role, or undefined when it was not a member. */
  async set(orgId: string, username: string, role: OrgRole, at: string): Promise<OrgRole | undefined> {
    const before = await this.find(orgId, username);
    if (before)
      await this.db.updateTable('memberships').set({ role }).where('orgId', '=', orgId).where('username', '=', username).execute();
    else await this.db.insertInto('memberships').values({ orgId, username, role, createdAt: at }).execute();
    return before?.role;
  }

  async delete(orgId: string, username: string): Promise<boolean> {
    const r = await this.db.deleteFrom('memberships').where('orgId', '=', orgId).where('username', '=', username).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * Locks the owners' rows until the transaction ends, then counts them: two owners removed at once on PostgreSQL
   * would otherwise each see the other still there (SQLite serialises writing transactions anyway).
   */
  async lockAndCountOwners(orgId: string): Promise<number> {
    await this.db
      .updateTable('memberships')
      .set((eb) => ({ role: eb.ref('role') }))
      .where('orgId', '=', orgId)
      .where('role', '=', 'owner')
      .execute();
    const row = await this.db
      .selectFrom('memberships')
      .where('orgId', '=', orgId)
      .where('role', '=', 'owner')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
