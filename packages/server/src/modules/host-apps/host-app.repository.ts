import { type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { type HostApp, PAGE_SIZE_MAX, type PageOf } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';
import { dialectOf, prepared } from '../../db/executor.js';
import type { Database, DevConfigRow, HostAppRow, NewHostAppRow } from '../../db/schema.js';

import { nameKey } from '../../lib/names.js';

/** The key of per-workspace name uniqueness and of the search (see lib/names.ts): look-alikes share it. */
export { nameKey };

/**
 * Matches a search reads beyond its page before it estimates the total instead of counting every match (about a
 * millisecond of index walk on either database).
 */
export const SEARCH_COUNTED = 200;

/**
 * PostgreSQL: host apps a search reads newest first before it turns to the trigram index (see idsByName): a
 * substring in one name in twenty finds its SEARCH_COUNTED there.
 */
const SEARCH_WALKED = 4000;

/** Escapes LIKE wildcards so a query for "50%_off" matches those characters literally. */
const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
/** The same for GLOB, whose wildcards are escaped by a character class: "[*]". */
const globContains = (text: string) => `*${text.replace(/[*?[]/g, (c) => `[${c}]`)}*`;

export type HostAppWithConfig = HostAppRow & { devConfigured: boolean };

/**
 * Every column of a host app, named (the PostgreSQL search is a prepared statement, which `h.*` would break once a
 * migration adds a column). The type check below fails when a column is added to the table but not here.
 */
const HOST_APP_COLUMNS = [
  'id',
  'app_id',
  'workspace_id',
  'tenant_id',
  'name',
  'name_key',
  'source',
  'created_at',
  'updated_at',
  'disabled_at',
  'generation',
] as const;
type CamelOf<S extends string> = S extends `${infer A}_${infer B}` ? `${A}${Capitalize<CamelOf<B>>}` : S;
const everyColumn: [Exclude<keyof HostAppRow, CamelOf<(typeof HOST_APP_COLUMNS)[number]>>] extends [never] ? true : never = true;
void everyColumn;
const HOST_APP_SELECT = HOST_APP_COLUMNS.map((c) => `h.${c}`).join(', ');

/**
 * A row of the PostgreSQL listing: a host app of the page with its totals, or only the totals (every column of the
 * host app null) when the page is empty.
 */
type SearchRow = HostAppRow & {
  devConfigured: number;
  searchTotal: number;
  /** Searches only: how many name matches were read, and the lowest of their IDs. */
  searchNamed?: number;
  searchLowest?: number | null;
};

/**
 * How many host apps match, from `found` matches read newest first down to `lowest`: as many per ID as among them,
 * over every ID from `first` to `last` (of the workspace, or of all), to two significant digits.
 */
export function estimateTotal(found: number, lowest: number, first: number | undefined, last: number | undefined): number {
  if (first === undefined || last === undefined) return found;
  const estimate = (found * (last - first + 1)) / Math.max(1, last - lowest + 1);
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(estimate)) - 1);
  return Math.round(estimate / unit) * unit;
}

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
   * indexes (a trigram index on the name: FTS5 on SQLite, pg_trgm on PostgreSQL; a B-tree on the APPID). A search
   * reads its matches newest first and stops after the page and at least SEARCH_COUNTED more: fewer matches than
   * that are counted exactly; more are estimated from how far back the ones read reach (`totalIsEstimate`), so a
   * query that matches a tenth of a million host apps costs what one matching a few hundred does. A listing without
   * a query is counted exactly, from the (workspace, id) index.
   */
  async list(opts: {
    query?: string;
    workspaceId?: string;
    page: number;
    pageSize: number;
  }): Promise<PageOf<HostAppWithConfig> & { totalIsEstimate: boolean }> {
    const text = opts.query?.trim();
    const offset = (opts.page - 1) * opts.pageSize;
    if (dialectOf(this.db) === 'postgres') return this.listPostgres(text, opts.workspaceId, offset, opts);
    let ids: number[];
    let total: number;
    let totalIsEstimate = false;
    if (text) {
      const wanted = Math.max(offset + opts.pageSize, SEARCH_COUNTED);
      const [byName, byAppId] = await Promise.all([
        this.idsByName(text, opts.workspaceId, wanted + 1),
        this.idsByAppId(text, opts.workspaceId),
      ]);
      const all = [...new Set([...byName, ...byAppId])].sort((a, b) => b - a);
      ids = all.slice(offset, offset + opts.pageSize);
      total = all.length;
      if (byName.length > wanted) {
        const [first, last] = await this.idRange(opts.workspaceId);
        total = Math.max(all.length, estimateTotal(byName.length, byName[byName.length - 1], first, last));
        totalIsEstimate = true;
      }
    } else {
      const inWorkspace = <O>(q: SelectQueryBuilder<Database, 'hostApps', O>) =>
        opts.workspaceId ? q.where('hostApps.workspaceId', '=', opts.workspaceId) : q;
      const [counted, page] = await Promise.all([
        inWorkspace(this.db.selectFrom('hostApps').select((eb) => eb.fn.countAll<number>().as('total'))).executeTakeFirstOrThrow(),
        inWorkspace(this.db.selectFrom('hostApps').select('hostApps.id'))
          .orderBy('hostApps.id', 'desc')
          .limit(opts.pageSize)
          .offset(offset)
          .execute(),
      ]);
      total = Number(counted.total);
      ids = page.map((r) => r.id);
    }
    const rows = ids.length > 0 ? await this.base().where('hostApps.id', 'in', ids).orderBy('hostApps.id', 'desc').execute() : [];
    return {
      items: rows.map((r) => ({ ...r, devConfigured: Boolean(r.devConfigured) })),
      total,
      totalIsEstimate,
      page: opts.page,
      pageSize: opts.pageSize,
    };
  }

  /**
   * PostgreSQL: the page's rows with their dev config flag and the total in one statement (a second only for the
   * ends of the ID range when the total is estimated). The same answer as `list` gives on SQLite. The name search is in two steps whose cost does not hang on the planner's guess of how common
   * the substring is (it cannot know where the matches lie: walking the primary key backwards for a common-looking
   * part whose matches are all old read half the table). First the newest SEARCH_WALKED host apps, read backwards
   * from the index and filtered until `limit` match: enough for any substring in at least one name in twenty, about
   * a millisecond. Then, only when that found fewer (a one-time filter: otherwise the trigram scan never starts),
   * the older ones through the pg_trgm index: every match (a materialised CTE, so never a backward walk), newest
   * first. The exact APPID comes from its B-tree; when the text is one, the walk is skipped and the trigram index reads
   * the names. The page's rows are joined last, so an empty page still has its total.
   */
  private async listPostgres(
    text: string | undefined,
    workspaceId: string | undefined,
    offset: number,
    opts: { page: number; pageSize: number },
  ): Promise<PageOf<HostAppWithConfig> & { totalIsEstimate: boolean }> {
    const where = workspaceId ? sql`where workspace_id = ${workspaceId}` : sql``;
    const andWorkspace = workspaceId ? sql`and workspace_id = ${workspaceId}` : sql``;
    const wanted = Math.max(offset + opts.pageSize, SEARCH_COUNTED);
    const limit = wanted + 1;
    let matched: RawBuilder<unknown>;
    let stats: RawBuilder<unknown>;
    if (text) {
      const pattern = likeContains(nameKey(text));
      // The walk is a subquery in each place (not a CTE read twice), so the first reads it backwards and stops at
      // `limit` matches, and the second reads the IDs only, from the (workspace, id) index, and only when needed.
      const newest = sql`select id, name_key from host_apps ${where} order by id desc limit ${SEARCH_WALKED}`;
      // When the text is a host app's exact APPID (someone pasted one), names containing it are rare: the walk is
      // skipped (a one-time filter) and the trigram index reads every name match, about a millisecond less.
      const isAppId = sql`exists (select 1 from by_app_id)`;
      matched = sql`by_app_id as (select id from host_apps where app_id = ${text} ${andWorkspace} limit ${PAGE_SIZE_MAX}),
        recent as (select id from (${newest}) newest where name_key like ${pattern} escape '\\' and not ${isAppId} limit ${limit}),
        older as materialized (select id from host_apps where name_key like ${pattern} escape '\\' ${andWorkspace}
          and (${isAppId} or id < (select min(id) from (${newest}) newest)) and (select count(*) from recent) < ${limit}),
        named as (select id from recent union all select id from older order by id desc limit ${limit}),
        matched as (select id from named union select id from by_app_id),
        page as (select id from matched order by id desc limit ${opts.pageSize} offset ${offset})`;
      stats = sql`(select count(*) from matched) as search_total, (select count(*) from named) as search_named,
        (select min(id) from named) as search_lowest`;
    } else {
      matched = sql`page as (select id from host_apps ${where} order by id desc limit ${opts.pageSize} offset ${offset})`;
      stats = sql`(select count(*) from host_apps ${where}) as search_total`;
    }
    const { rows } = await sql<SearchRow>`${prepared} with ${matched}
      select ${stats}, ${sql.raw(HOST_APP_SELECT)}, case when d.host_app_id is not null then 1 else 0 end as dev_configured
      from (select 1) one left join (page join host_apps h on h.id = page.id left join dev_configs d on d.host_app_id = h.id) on true
      order by h.id desc`.execute(this.db);
    const [first] = rows;
    let total = Number(first.searchTotal);
    let totalIsEstimate = false;
    if (text && Number(first.searchNamed) > wanted && typeof first.searchLowest === 'number') {
      // The ends of the ID range in a statement of their own, only for an estimate: in the one above, planning them
      // cost more than this round trip (min and max of an index are planned as subqueries of their own).
      const [lowestId, highestId] = await this.idRange(workspaceId);
      total = Math.max(total, estimateTotal(Number(first.searchNamed), first.searchLowest, lowestId, highestId));
      totalIsEstimate = true;
    }
    const items = rows
      .filter((r) => r.id !== null) // the empty page's one row
      .map(({ searchTotal, searchNamed, searchLowest, ...r }) => ({
        ...r,
        devConfigured: Boolean(r.devConfigured),
      }));
    return { items, total, totalIsEstimate, page: opts.page, pageSize: opts.pageSize };
  }

  /**
   * SQLite: IDs of the host apps whose name contains `text` (case-insensitively), newest first, at most `limit`.
   * The FTS5 trigram index walked newest first (it serves GLOB, and name keys are lower-case, so GLOB's case
   * sensitivity does not matter); CROSS JOIN keeps that order, so the walk stops at the limit.
   */
  private async idsByName(text: string, workspaceId: string | undefined, limit: number): Promise<number[]> {
    const inWorkspace = workspaceId ? sql`and h.workspace_id = ${workspaceId}` : sql``;
    const { rows } = await sql<{ id: number }>`select h.id from host_apps_fts f cross join host_apps h on h.id = f.rowid
      where f.name_key glob ${globContains(nameKey(text))} ${inWorkspace} order by f.rowid desc limit ${limit}`.execute(this.db);
    return rows.map((r) => r.id);
  }

  /** IDs of the host apps with exactly this APPID (one per workspace). */
  private async idsByAppId(text: string, workspaceId: string | undefined): Promise<number[]> {
    let q = this.db.selectFrom('hostApps').select('id').where('appId', '=', text);
    if (workspaceId) q = q.where('workspaceId', '=', workspaceId);
    return (await q.limit(PAGE_SIZE_MAX).execute()).map((r) => r.id);
  }

  /** The lowest and the highest ID of the workspace's host apps (or of all): look-ups at the ends of an index. */
  private async idRange(workspaceId: string | undefined): Promise<[number | undefined, number | undefined]> {
    if (dialectOf(this.db) === 'sqlite') {
      // SQLite reads one end of an index for a lone min() or max() only: two queries (in-process, microseconds).
      const edge = (direction: 'asc' | 'desc') => {
        let q = this.db.selectFrom('hostApps').select('id');
        if (workspaceId) q = q.where('workspaceId', '=', workspaceId);
        return q.orderBy('id', direction).limit(1).executeTakeFirst();
      };
      const [first, last] = await Promise.all([edge('asc'), edge('desc')]);
      return [first?.id, last?.id];
    }
    // PostgreSQL: one round trip; min and max are each one look-up at an end of the index.
    let q = this.db
      .selectFrom('hostApps')
      .modifyFront(prepared)
      .select((eb) => [eb.fn.min<number>('id').as('first'), eb.fn.max<number>('id').as('last')]);
    if (workspaceId) q = q.where('workspaceId', '=', workspaceId);
    const row = await q.executeTakeFirstOrThrow();
    return [row.first ?? undefined, row.last ?? undefined];
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
