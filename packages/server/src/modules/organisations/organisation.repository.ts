import { PLATFORM_ORG_ID } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';

const COLUMNS = [
  'organisations.orgId',
  'organisations.name',
  'organisations.reviewRequired',
  'organisations.suspendedAt',
  'organisations.createdAt',
] as const;

/** Organisations of the open platform, with their member counts. */
export class OrganisationRepository {
  constructor(private readonly db: Executor) {}

  private withMembers() {
    return this.db.selectFrom('organisations').select([
      ...COLUMNS,
      (eb) =>
        eb
          .selectFrom('memberships')
          .whereRef('memberships.orgId', '=', 'organisations.orgId')
          .select((e) => e.fn.countAll<number>().as('n'))
          .as('members'),
    ]);
  }

  find(orgId: string) {
    return this.withMembers().where('organisations.orgId', '=', orgId).executeTakeFirst();
  }

  findByNameKey(nameKey: string) {
    return this.db.selectFrom('organisations').select(['orgId', 'name']).where('nameKey', '=', nameKey).executeTakeFirst();
  }

  /** Every organisation, or those of `orgIds`; by name. */
  list(orgIds?: string[]) {
    let q = this.withMembers().orderBy('organisations.nameKey').orderBy('organisations.orgId');
    if (orgIds) q = q.where('organisations.orgId', 'in', orgIds.length ? orgIds : ['']);
    return q.execute();
  }

  /**
   * Makes the built-in organisation `platform` (no review needed) if it is not there yet: the migration makes it
   * only when mini programs exist, so a new database, and one a backup is restored into, starts empty.
   */
  async ensurePlatform(at: string) {
    await this.db
      .insertInto('organisations')
      .values({
        orgId: PLATFORM_ORG_ID,
        name: 'Platform',
        nameKey: 'platform',
        reviewRequired: 0,
        suspendedAt: null,
        createdAt: at,
        updatedAt: at,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async insert(row: { orgId: string; name: string; nameKey: string; reviewRequired: boolean; at: string }) {
    await this.db
      .insertInto('organisations')
      .values({
        orgId: row.orgId,
        name: row.name,
        nameKey: row.nameKey,
        reviewRequired: row.reviewRequired ? 1 : 0,
        suspendedAt: null,
        createdAt: row.at,
        updatedAt: row.at,
      })
      .execute();
  }

  async update(
    orgId: string,
    patch: { name?: string; nameKey?: string; reviewRequired?: boolean; suspendedAt?: string | null },
    at: string,
  ) {
    await this.db
      .updateTable('organisations')
      .set({
        ...(patch.name !== undefined ? { name: patch.name, nameKey: patch.nameKey } : {}),
        ...(patch.reviewRequired !== undefined ? { reviewRequired: patch.reviewRequired ? 1 : 0 } : {}),
        ...(patch.suspendedAt !== undefined ? { suspendedAt: patch.suspendedAt } : {}),
        updatedAt: at,
      })
      .where('orgId', '=', orgId)
      .execute();
  }

  /** The organisation of a mini program, with what gates its changes. */
  forMiniProgram(miniProgramId: string) {
    return this.db
      .selectFrom('miniPrograms')
      .innerJoin('organisations', 'organisations.orgId', 'miniPrograms.orgId')
      .select(['organisations.orgId', 'organisations.reviewRequired', 'organisations.suspendedAt'])
      .where('miniPrograms.miniProgramId', '=', miniProgramId)
      .executeTakeFirst();
  }
}
