import type { Insertable } from 'kysely';
import type { Executor } from '../../db/executor.js';
import type { MiniProgramsTable } from '../../db/schema.js';

/** Mini programs, their package versions and their authorisations for host apps. */
export class MiniProgramRepository {
  constructor(private readonly db: Executor) {}

  find(id: string) {
    return this.db.selectFrom('miniPrograms').selectAll().where('miniProgramId', '=', id).executeTakeFirst();
  }

  /**
   * Newest first; `orgIds` (a member's organisations) and `orgId` narrow the list. Each row carries its current
   * release's ramp (to tell a rollout from a full release) and how many host apps it is authorised for: one query,
   * whatever the number of rows.
   */
  list(filter: { orgId?: string; orgIds?: string[] } = {}) {
    let q = this.db
      .selectFrom('miniPrograms as mp')
      .leftJoin('releases as r', 'r.releaseId', 'mp.currentReleaseId')
      .select(['mp.miniProgramId', 'mp.name', 'mp.orgId', 'mp.releasedVersion', 'mp.createdAt', 'mp.updatedAt'])
      .select((eb) => [
        'r.state as releaseState',
        'r.percentBp as releasePercentBp',
        'r.steps as releaseSteps',
        'r.pausedAt as releasePausedAt',
        'r.previousVersion as releasePreviousVersion',
        eb
          .selectFrom('hostAppMiniPrograms as am')
          .whereRef('am.miniProgramId', '=', 'mp.miniProgramId')
          .select((e) => e.fn.countAll<number>().as('n'))
          .as('authorizedHostApps'),
      ])
      .orderBy('mp.createdAt', 'desc')
      .orderBy('mp.miniProgramId');
    if (filter.orgId) q = q.where('mp.orgId', '=', filter.orgId);
    if (filter.orgIds) q = q.where('mp.orgId', 'in', filter.orgIds.length ? filter.orgIds : ['']);
    return q.execute();
  }

  /** The version released last: the current release's, else (taken down) the newest release's. */
  async lastReleasedVersion(id: string): Promise<string | undefined> {
    const mp = await this.find(id);
    if (mp?.releasedVersion) return mp.releasedVersion;
    const r = await this.db
      .selectFrom('releases')
      .select('version')
      .where('miniProgramId', '=', id)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return r?.version;
  }

  async insert(row: Pick<Insertable<MiniProgramsTable>, 'miniProgramId' | 'name' | 'orgId' | 'createdAt'>) {
    await this.db
      .insertInto('miniPrograms')
      .values({ ...row, releasedVersion: null, currentReleaseId: null, updatedAt: row.createdAt })
      .execute();
  }

  findPackage(id: string, version: string) {
    return this.db
      .selectFrom('miniProgramPackages')
      .selectAll()
      .where('miniProgramId', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  listPackages(id: string) {
    return this.db.selectFrom('miniProgramPackages').selectAll().where('miniProgramId', '=', id).orderBy('createdAt', 'desc').execute();
  }

  async insertPackage(row: {
    miniProgramId: string;
    version: string;
    sha256: string;
    size: number;
    mainUrl: string;
    platform: string | null;
    clientVersionMin: string | null;
    clientVersionMax: string | null;
    createdAt: string;
    releaseSignature: string | null;
    releaseKeyFingerprint: string | null;
  }) {
    await this.db.insertInto('miniProgramPackages').values(row).execute();
  }

  async authorize(hostAppId: number, id: string, at: string): Promise<boolean> {
    const r = await this.db
      .insertInto('hostAppMiniPrograms')
      .values({ hostAppId, miniProgramId: id, createdAt: at })
      .onConflict((oc) => oc.columns(['hostAppId', 'miniProgramId']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async revoke(hostAppId: number, id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('hostAppMiniPrograms')
      .where('hostAppId', '=', hostAppId)
      .where('miniProgramId', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  listAuthorized(hostAppId: number) {
    return this.authorized(hostAppId).orderBy('hostAppMiniPrograms.createdAt', 'desc').execute();
  }

  /** @returns the authorisation of one mini program for a host app, or undefined. */
  findAuthorized(hostAppId: number, id: string) {
    return this.authorized(hostAppId).where('hostAppMiniPrograms.miniProgramId', '=', id).executeTakeFirst();
  }

  private authorized(hostAppId: number) {
    return this.db
      .selectFrom('hostAppMiniPrograms')
      .innerJoin('miniPrograms', 'miniPrograms.miniProgramId', 'hostAppMiniPrograms.miniProgramId')
      .select([
        'miniPrograms.miniProgramId',
        'miniPrograms.name',
        'miniPrograms.releasedVersion',
        'hostAppMiniPrograms.createdAt as authorizedAt',
      ])
      .where('hostAppMiniPrograms.hostAppId', '=', hostAppId);
  }
}
