import type { Executor } from '../../db/executor.js';

/** A restore raises every generation by this much: more changes than an installation makes between two backups. */
export const RESTORE_GENERATION_MARGIN = 1_000_000;

/**
 * The generation of each host app's gate answers (signed into every manifest): it never goes down. One counter for
 * the installation is raised in the transaction of every change that can change an answer, and the host apps the
 * change touches take its new value. On PostgreSQL the counter's row lock orders concurrent changes of every
 * instance; SQLite has one writer. The lock order is: a mini program's release lock, then the counter, then host app
 * rows. So a service calls these before it writes a host app's own row (`host_apps`), and otherwise late in its
 * transaction: two transactions never wait for each other in turn.
 */
export class GenerationRepository {
  constructor(private readonly db: Executor) {}

  /** Raises the counter by `by` (1: one change) and returns its new value. */
  async next(by = 1): Promise<number> {
    // Made by the first change: host apps start at generation 1, so the counter starts above it.
    await this.db
      .insertInto('generationCounter')
      .values({ id: 1, value: 1 + by })
      .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ value: eb(eb.ref('generationCounter.value'), '+', by) })))
      .execute();
    return this.current();
  }

  /** A change to these host apps (configuration, key, enable/disable, an authorisation): their answers move on. */
  async raiseHostApps(hostAppIds: readonly number[]): Promise<number | undefined> {
    if (hostAppIds.length === 0) return undefined;
    const value = await this.next();
    await this.db
      .updateTable('hostApps')
      .set({ generation: value })
      .where('id', 'in', [...hostAppIds])
      .execute();
    return value;
  }

  /** A change to a mini program's releases: every host app it is authorised for moves on. */
  async raiseForMiniProgram(miniProgramId: string): Promise<number> {
    const value = await this.next();
    await this.db
      .updateTable('hostApps')
      .set({ generation: value })
      .where('id', 'in', this.db.selectFrom('hostAppMiniPrograms').select('hostAppId').where('miniProgramId', '=', miniProgramId))
      .execute();
    return value;
  }

  /**
   * A scheduled step of a release took effect: the host apps the release reaches (`scope`, `[workspaceId, appId]`
   * pairs; null: every one the mini program is authorised for) move on. @returns the new value, and the host apps
   * raised when the scope names them (null: all of the mini program's).
   */
  async raiseForRelease(
    miniProgramId: string,
    scope: readonly { workspaceId: string; appId: string }[] | null,
  ): Promise<{ value: number; hostApps: [workspaceId: string, appId: string][] | null }> {
    if (scope === null) return { value: await this.raiseForMiniProgram(miniProgramId), hostApps: null };
    const named = new Set(scope.map((h) => `${h.workspaceId}\n${h.appId}`));
    const reached = (
      await this.db
        .selectFrom('hostApps')
        .innerJoin('hostAppMiniPrograms', 'hostAppMiniPrograms.hostAppId', 'hostApps.id')
        .select(['hostApps.id', 'hostApps.workspaceId', 'hostApps.appId'])
        .where('hostAppMiniPrograms.miniProgramId', '=', miniProgramId)
        .execute()
    ).filter((h) => named.has(`${h.workspaceId}\n${h.appId}`));
    const value = await this.next();
    if (reached.length > 0) {
      await this.db
        .updateTable('hostApps')
        .set({ generation: value })
        .where(
          'id',
          'in',
          reached.map((h) => h.id),
        )
        .execute();
    }
    return { value, hostApps: reached.map((h) => [h.workspaceId, h.appId]) };
  }

  /**
   * After a restore: the devices may have seen generations the restored data never knew (changes made after the
   * backup, or by an installation that an earlier restore of the same backup made). Every host app moves `margin`
   * past the highest generation in the restored data and past `floor` (the highest the installation being replaced
   * handed out, when it is known: restore.service.ts), so the restored installation's answers are newer than anything
   * its devices accepted, as long as fewer than `margin` changes were made after what the highest of the two counts.
   */
  async raiseAll(margin: number, floor = 0): Promise<number> {
    const value = Math.max(await this.highest(), floor) + margin;
    await this.db
      .insertInto('generationCounter')
      .values({ id: 1, value })
      .onConflict((oc) => oc.column('id').doUpdateSet({ value }))
      .execute();
    await this.db.updateTable('hostApps').set({ generation: value }).execute();
    return value;
  }

  /** The highest generation this installation handed out: its counter, or a host app above it (data of old). */
  async highest(): Promise<number> {
    const top = await this.db
      .selectFrom('hostApps')
      .select((eb) => eb.fn.max('generation').as('top'))
      .executeTakeFirst();
    return Math.max(Number(top?.top ?? 0), await this.current());
  }

  /** The current value of the counter (what the next new host app starts above). */
  async current(): Promise<number> {
    const row = await this.db.selectFrom('generationCounter').select('value').where('id', '=', 1).executeTakeFirst();
    return Number(row?.value ?? 1);
  }
}
