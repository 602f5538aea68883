import { sql } from 'kysely';
import type { HostApp, PageOf } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';
import type { DevConfigRow, HostAppRow, NewHostAppRow } from '../../db/schema.js';

/** The key of per-workspace name uniqueness and of the search: trimmed, NFC, lower-case. */
export const nameKey = (name: string) => name.trim().normalize('NFC').toLowerCase();

/** Escapes LIKE wildcards so a query for "50%_off" matches those characters literally. */
const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

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

  /** Newest first; `query` is a case-insensitive substring of the name, or an exact APPID. */
  async list(opts: { query?: string; workspaceId?: string; page: number; pageSize: number }): Promise<PageOf<HostAppWithConfig>> {
    let q = this.base();
    if (opts.workspaceId) q = q.where('hostApps.workspaceId', '=', opts.workspaceId);
    const text = opts.query?.trim();
    if (text) {
      // SQLite's LIKE has no default escape character, so it is spelled out (as a parameter) for both dialects.
      const contains = sql<boolean>`${sql.ref('hostApps.nameKey')} like ${likeContains(nameKey(text))} escape ${'\\'}`;
      q = q.where((eb) => eb.or([contains, eb('hostApps.appId', '=', text)]));
    }
    const [{ total }] = await q
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .execute();
    const rows = await q
      .orderBy('hostApps.id', 'desc')
      .limit(opts.pageSize)
      .offset((opts.page - 1) * opts.pageSize)
      .execute();
    return {
      items: rows.map((r) => ({ ...r, devConfigured: Boolean(r.devConfigured) })),
      total: Number(total),
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
      .where((eb) => eb.or([eb('keyFingerprint', '=', current), eb('retiredAt', '<', forgetBefore)]))
      .execute();
  }

  /** Replaced keys retired at or after `since`, newest first. */
  previousKeys(hostAppId: number, since: string) {
    return this.db
      .selectFrom('hostAppPreviousKeys')
      .select(['keyFingerprint', 'publicKeyPem', 'retiredAt'])
      .where('hostAppId', '=', hostAppId)
      .where('retiredAt', '>=', since)
      .orderBy('retiredAt', 'desc')
      .execute();
  }
}
