import { sql } from 'kysely';
import { PATCH_FORMATS, PATCH_FROM_VERSIONS } from '@mpop/contracts';
import { dialectOf, type Executor } from '../../db/executor.js';
import type { PackagePatchRow, PackagePatchesTable } from '../../db/schema.js';

/** How a finished job ends: the columns it sets. */
export type PatchOutcome = Pick<PackagePatchesTable, 'status' | 'fullSize' | 'size' | 'sha256' | 'noteCode' | 'note'>;

/** Patches between package versions: the jobs that make them and the kept ones the gate offers. SQL lives only here. */
export class PatchRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Queues patches to `toVersion` from the last PATCH_FROM_VERSIONS versions released before it (distinct, newest
   * release first), in the caller's transaction. A pair queued or made before is left as it is.
   * @returns how many were queued
   */
  async queueFor(miniProgramId: string, toVersion: string, now: string): Promise<number> {
    const to = await this.db
      .selectFrom('miniProgramPackages')
      .select('sha256')
      .where('miniProgramId', '=', miniProgramId)
      .where('version', '=', toVersion)
      .executeTakeFirst();
    if (!to) return 0;
    const released = await this.db
      .selectFrom('releases as r')
      .innerJoin('miniProgramPackages as p', (j) => j.onRef('p.miniProgramId', '=', 'r.miniProgramId').onRef('p.version', '=', 'r.version'))
      .select(['r.version', 'p.sha256', (eb) => eb.fn.max('r.id').as('lastId')])
      .where('r.miniProgramId', '=', miniProgramId)
      .where('r.version', '!=', toVersion)
      .groupBy(['r.version', 'p.sha256'])
      .orderBy('lastId', 'desc')
      .limit(PATCH_FROM_VERSIONS)
      .execute();
    // The same bytes under another version need no patch: the device has them.
    const rows = released
      .filter((r) => r.sha256 !== to.sha256)
      .map((r) => ({
        miniProgramId,
        fromVersion: r.version,
        toVersion,
        fromSha256: r.sha256,
        toSha256: to.sha256,
        format: PATCH_FORMATS[0],
        status: 'queued' as const,
        attempts: 0,
        createdAt: now,
        updatedAt: now,
      }));
    if (rows.length === 0) return 0;
    const result = await this.db
      .insertInto('packagePatches')
      .values(rows)
      .onConflict((oc) => oc.columns(['miniProgramId', 'fromVersion', 'toVersion']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  /**
   * Claims the oldest job that is queued, or running under a lease that ran out (its instance died): moves it to
   * `running` until `leaseUntil` and counts the attempt. On PostgreSQL a row another instance is claiming is skipped
   * (`FOR UPDATE SKIP LOCKED`); SQLite runs the statement alone. @returns the claimed row, or undefined
   */
  async claim(now: string, leaseUntil: string): Promise<PackagePatchRow | undefined> {
    const rows = await this.db
      .updateTable('packagePatches')
      .set({ status: 'running', leaseUntil, attempts: sql<number>`attempts + 1`, updatedAt: now })
      .where('id', 'in', (eb) => {
        const due = eb
          .selectFrom('packagePatches')
          .select('id')
          .where((w) => w.or([w('status', '=', 'queued'), w.and([w('status', '=', 'running'), w('leaseUntil', '<', now)])]))
          .orderBy('id')
          .limit(1);
        return dialectOf(this.db) === 'postgres' ? due.forUpdate().skipLocked() : due;
      })
      .returningAll()
      .execute();
    return rows[0];
  }

  /** Records how a job ended, unless another instance claimed it meanwhile (its lease ran out). */
  async finish(id: number, attempts: number, outcome: PatchOutcome, now: string): Promise<boolean> {
    const r = await this.db
      .updateTable('packagePatches')
      .set({ ...outcome, leaseUntil: null, updatedAt: now, finishedAt: now })
      .where('id', '=', id)
      .where('attempts', '=', attempts)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Gives a claimed job back (the server is stopping): queued again, the attempt not counted. */
  async release(id: number, attempts: number, now: string): Promise<void> {
    await this.db
      .updateTable('packagePatches')
      .set({ status: 'queued', leaseUntil: null, attempts: attempts - 1, updatedAt: now })
      .where('id', '=', id)
      .where('attempts', '=', attempts)
      .where('status', '=', 'running')
      .execute();
  }

  /** Jobs, newest first: all, or one mini program's. */
  list(q: { miniProgramId?: string; limit: number }): Promise<PackagePatchRow[]> {
    let query = this.db.selectFrom('packagePatches').selectAll().orderBy('id', 'desc').limit(q.limit);
    if (q.miniProgramId) query = query.where('miniProgramId', '=', q.miniProgramId);
    return query.execute();
  }
}
