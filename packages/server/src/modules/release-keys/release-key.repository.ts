import type { Insertable } from 'kysely';
import type { Executor } from '../../db/executor.js';
import type { ReleaseKeysTable } from '../../db/schema.js';

/** The release keys (public halves) of organisations. */
export class ReleaseKeyRepository {
  constructor(private readonly db: Executor) {}

  /** An organisation's keys, oldest first. */
  list(orgId: string) {
    return this.db
      .selectFrom('releaseKeys')
      .selectAll()
      .where('orgId', '=', orgId)
      .orderBy('createdAt')
      .orderBy('fingerprintSha256')
      .execute();
  }

  find(orgId: string, fingerprintSha256: string) {
    return this.db
      .selectFrom('releaseKeys')
      .selectAll()
      .where('orgId', '=', orgId)
      .where('fingerprintSha256', '=', fingerprintSha256)
      .executeTakeFirst();
  }

  async insert(row: Insertable<ReleaseKeysTable>) {
    await this.db.insertInto('releaseKeys').values(row).execute();
  }

  /** @returns whether a key was removed. */
  async delete(orgId: string, fingerprintSha256: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('releaseKeys')
      .where('orgId', '=', orgId)
      .where('fingerprintSha256', '=', fingerprintSha256)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * The release keys of the organisations whose mini programs are authorised for a host app (what its config file
   * lists), by organisation, oldest first.
   */
  forHostApp(hostAppId: number) {
    return this.db
      .selectFrom('releaseKeys as k')
      .select(['k.orgId', 'k.fingerprintSha256', 'k.publicKeyPem'])
      .where('k.orgId', 'in', (eb) =>
        eb
          .selectFrom('hostAppMiniPrograms as am')
          .innerJoin('miniPrograms as mp', 'mp.miniProgramId', 'am.miniProgramId')
          .select('mp.orgId')
          .where('am.hostAppId', '=', hostAppId),
      )
      .orderBy('k.orgId')
      .orderBy('k.createdAt')
      .orderBy('k.fingerprintSha256')
      .execute();
  }
}
