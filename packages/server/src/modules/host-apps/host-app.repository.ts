import { type SelectQueryBuilder, sql } from 'kysely';
import type { HostApp, PageOf } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';
import { dialectOf } from '../../db/executor.js';
import type { Database, DevConfigRow, HostAppRow, NewHostAppRow } from '../../db/schema.js';

import { nameKey } from '../../lib/names.js';

/** The key of per-workspace name uniqueness and of the search (see lib/names.ts): look-alikes share it. */
export { nameKey };

/** Escapes LIKE wildcards so a query for "50%_off" matches those characters literally. */
const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
/** The same for GLOB, whose wildcards are escaped by a character class: "[*]". */
const globContains = (text: string) => `*${text.replace(/[*?[]/g, (c) => `[${c}]`)}*`;

export type HostAppWithConfig = HostAppRow & { devConfigured: boolean };

export const toHostApp = (r: HostAppWithConfig): HostApp => ({
  appId: r.appId,
  workspaceId: r.workspaceId,
  tenantId: r.tenantId,
  name: r.name,
  source: r.source,
  devConfigured: Boolean(r.devConfigured),
  enabled: r.disabledAt === null || r.disabledAt === undefined,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export class HostAppRepository {
  constructor(private readonly db: Executor) {}

  private base() {
    return this.db
      .selectFrom('hostApps')
      .leftJoin('devConfigs', 'devConfigs.hostAppId', 'hostApps.id')
      .selectAll('hostApps')
      .select((eb) => eb.case().when('devConfigs.hostAppId', 'is not', null).then(1).else(0).end().as('devConfigured'));
  }

  /** @returns the host app, or undefined when there is none with that pair. */
  async find(workspaceId: string, appId: string): Promise<HostAppWithConfig | undefined> {
    const row = await this.base().where('hostApps.workspaceId', '=', workspaceId).where('hostApps.appId', '=', appId).executeTakeFirst();
    return row && { ...row, devConfigured: Boolean(row.devConfigured) };
  }

  /**
   * Newest first; `query` is a case-insensitive substring of the name, or an exact APPID. Both are answered from
   * indexes (a trigram index on the name: FTS5 on SQLite, pg_trgm on PostgreSQL; a B-tree on the APPID): the
   * matching IDs are found, counted and paged in one pass, and only the page's rows are read.
   */
  async list(opts: { query?: string; workspaceId?: string; page: number; pageSize: number }): Promise<PageOf<HostAppWithConfig>> {
    const text = opts.query?.trim();
    const inWorkspace = <Q extends SelectQueryBuilder<Database, 'hostApps', { id: number }>>(q: Q) =>
      opts.workspaceId ? q.where('hostApps.workspaceId', '=', opts.workspaceId) : q;
    let matches = inWorkspace(this.db.selectFrom('hostApps').select('hostApps.id'));
    if (text) {
      const key = nameKey(text);
      const byName =
        dialectOf(this.db) === 'sqlite'
          ? // FTS5 trigram index first (CROSS JOIN fixes the order: SQLite would otherwise walk the workspace's index and
            // filter); it serves GLOB, and name keys are lower-case, so GLOB's case sensitivity does not matter.
            this.db
              .selectFrom(sql<{ id: number }>`(select rowid as id from host_apps_fts where name_key glob ${globContains(key)})`.as('f'))
              .crossJoin('hostApps')
              .select('hostApps.id')
              .whereRef('hostApps.id', '=', 'f.id')
          : this.db
              .selectFrom('hostApps')
              .select('hostApps.id')
              .where(sql<boolean>`${sql.ref('hostApps.nameKey')} like ${likeContains(key)} escape ${'\\'}`);
      matches = inWorkspace(byName as unknown as SelectQueryBuilder<Database, 'hostApps', { id: number }>).union(
        inWorkspace(this.db.selectFrom('hostApps').select('hostApps.id').where('hostApps.appId', '=', text)),
      );
    }
    const count = async () => {
      const [row] = await this.db
        .selectFrom(matches.as('m'))
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .execute();
      return Number(row.total);
    };
    const pageOf = this.db
      .selectFrom(matches.as('m'))
      .select('m.id')
      .orderBy('m.id', 'desc')
      .limit(opts.pageSize)
      .offset((opts.page - 1) * opts.pageSize);
    let page: { id: number }[];
    let total: number;
    if (text) {
      // A search: one pass over its matches (usually few) gives the page's IDs, each carrying the count of all.
      const found = await pageOf.select((eb) => eb.fn.countAll<number>().over().as('total')).execute();
      page = found;
      total = found.length > 0 ? Number(found[0].total) : opts.page > 1 ? await count() : 0;
    } else {
      // A listing: the count from the (workspace, id) index, the page straight from it.
      [total, page] = await Promise.all([count(), pageOf.execute()]);
    }
    const rows =
      page.length > 0
        ? await this.base()
            .where(
              'hostApps.id',
              'in',
              page.map((r) => r.id),
            )
            .orderBy('hostApps.id', 'desc')
            .execute()
        : [];
    return {
      items: rows.map((r) => ({ ...r, devConfigured: Boolean(r.devConfigured) })),
      total,
      page: opts.page,
      pageSize: opts.pageSize,
    };
  }

  async appIdExists(appId: string): Promise<boolean> {
    return Boolean(await this.db.selectFrom('hostApps').select('id').where('appId', '=', appId).executeTakeFirst());
  }

  async nameTaken(workspaceId: string, key: string): Promise<boolean> {
    return Boolean(
      await this.db
        .selectFrom('hostApps')
        .select('id')
        .where('workspaceId', '=', workspaceId)
        .where('nameKey', '=', key)
        .executeTakeFirst(),
    );
  }

  async insert(row: NewHostAppRow): Promise<HostAppWithConfig> {
    const { id } = await this.db.insertInto('hostApps').values(row).returning('id').executeTakeFirstOrThrow();
    return { ...(row as HostAppRow), id, devConfigured: false };
  }

  /** Renames and/or disables (`disabledAt` set) or enables (null) a host app. */
  async update(id: number, changes: { name?: string; nameKey?: string; disabledAt?: string | null; updatedAt: string }) {
    await this.db.updateTable('hostApps').set(changes).where('id', '=', id).execute();
  }

  async touch(id: number, at: string) {
    await this.db.updateTable('hostApps').set({ updatedAt: at }).where('id', '=', id).execute();
  }

  /** Deletes the host app; its dev config and authorisations go with it (foreign keys cascade). */
  async delete(id: number) {
    await this.db.deleteFrom('hostApps').where('id', '=', id).execute();
  }

  findDevConfig(hostAppId: number): Promise<DevConfigRow | undefined> {
    return this.db.selectFrom('devConfigs').selectAll().where('hostAppId', '=', hostAppId).executeTakeFirst();
  }

  async upsertDevConfig(row: DevConfigRow) {
    const { hostAppId, ...rest } = row;
    await this.db
      .insertInto('devConfigs')
      .values(row)
      .onConflict((oc) => oc.column('hostAppId').doUpdateSet(rest))
      .execute();
  }

  /**
   * Keeps a replaced key's public half, so the config file lists it for a while after a rotation. Rotating back to
   * a listed key takes it off the list (it is current again); entries retired before `forgetBefore` are dropped.
   */
  async retireKey(
    row: { hostAppId: number; keyFingerprint: string; publicKeyPem: string; retiredAt: string },
    current: string,
    forgetBefore: string,
  ) {
    await this.db
      .insertInto('hostAppPreviousKeys')
      .values(row)
      .onConflict((oc) => oc.columns(['hostAppId', 'keyFingerprint']).doUpdateSet({ retiredAt: row.retiredAt }))
      .execute();
    await this.db
      .deleteFrom('hostAppPreviousKeys')
      .where('hostAppId', '=', row.hostAppId)
      // A retired (revoked) key is kept for good: manifests keep naming it, whatever its age.
      .where((eb) => eb.or([eb('keyFingerprint', '=', current), eb.and([eb('retiredAt', '<', forgetBefore), eb('revokedAt', 'is', null)])]))
      .execute();
  }

  /** Every replaced key still kept (listed or retired), newest first. */
  allPreviousKeys(hostAppId: number) {
    return this.db
      .selectFrom('hostAppPreviousKeys')
      .select(['keyFingerprint', 'retiredAt', 'revokedAt'])
      .where('hostAppId', '=', hostAppId)
      .orderBy('retiredAt', 'desc')
      .execute();
  }

  /** Marks a replaced key as retired at once. @returns false when the host app has no such replaced key. */
  async revokePreviousKey(hostAppId: number, keyFingerprint: string, at: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('hostAppPreviousKeys')
      .select('revokedAt')
      .where('hostAppId', '=', hostAppId)
      .where('keyFingerprint', '=', keyFingerprint)
      .executeTakeFirst();
    if (!row) return false;
    if (row.revokedAt === null) {
      await this.db
        .updateTable('hostAppPreviousKeys')
        .set({ revokedAt: at })
        .where('hostAppId', '=', hostAppId)
        .where('keyFingerprint', '=', keyFingerprint)
        .execute();
    }
    return true;
  }

  /** Replaced keys retired at or after `since` and not revoked, newest first (the config file lists them). */
  previousKeys(hostAppId: number, since: string) {
    return this.db
      .selectFrom('hostAppPreviousKeys')
      .select(['keyFingerprint', 'publicKeyPem', 'retiredAt'])
      .where('hostAppId', '=', hostAppId)
      .where('retiredAt', '>=', since)
      .where('revokedAt', 'is', null)
      .orderBy('retiredAt', 'desc')
      .execute();
  }
}
