import type { EventCounts, EventType, PatchSavings } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';
import type { DeviceVersionsTable, EventCountsTable, FailureCountsTable } from '../../db/schema.js';

/** Rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

export interface AdoptionScope {
  miniProgramId: string;
  /** One host app (by internal id), or every host app of a workspace, or (neither) all. */
  hostAppId?: number;
  workspaceId?: string;
}

/** Adoption storage: the latest version per device, and daily counters. SQL lives only here. */
export class EventsRepository {
  constructor(private readonly db: Executor) {}

  /** @returns the internal id of a host app, or undefined when it is not on the list. */
  async hostAppId(workspaceId: string, appId: string): Promise<number | undefined> {
    return (await this.hostApp(workspaceId, appId))?.id;
  }

  /** @returns the host app's id and whether it is disabled, or undefined when it is not registered. */
  async hostApp(workspaceId: string, appId: string): Promise<{ id: number; disabled: boolean } | undefined> {
    const row = await this.db
      .selectFrom('hostApps')
      .select(['id', 'disabledAt'])
      .where('workspaceId', '=', workspaceId)
      .where('appId', '=', appId)
      .executeTakeFirst();
    return row && { id: row.id, disabled: row.disabledAt !== null };
  }

  /**
   * What decides whether a host app's events are taken: its id, whether it is disabled, whether it has a
   * development configuration, and the mini programs authorised for it. Undefined when it is not registered.
   */
  async eventsView(
    workspaceId: string,
    appId: string,
  ): Promise<{ id: number; disabled: boolean; configured: boolean; authorised: Set<string> } | undefined> {
    const row = await this.db
      .selectFrom('hostApps')
      .leftJoin('devConfigs', 'devConfigs.hostAppId', 'hostApps.id')
      .select(['hostApps.id', 'hostApps.disabledAt', 'devConfigs.keyFingerprint'])
      .where('hostApps.workspaceId', '=', workspaceId)
      .where('hostApps.appId', '=', appId)
      .executeTakeFirst();
    if (!row) return undefined;
    const configured = row.keyFingerprint !== null;
    const authorised =
      configured && row.disabledAt === null
        ? await this.db.selectFrom('hostAppMiniPrograms').select('miniProgramId').where('hostAppId', '=', row.id).execute()
        : [];
    return { id: row.id, disabled: row.disabledAt !== null, configured, authorised: new Set(authorised.map((r) => r.miniProgramId)) };
  }

  /** The versions uploaded for a mini program. */
  async versions(miniProgramId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('miniProgramPackages').select('version').where('miniProgramId', '=', miniProgramId).execute();
    return new Set(rows.map((r) => r.version));
  }

  /** Which of these host apps still exist (one may be deleted while its devices' events wait to be written). */
  async existingHostApps(ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('hostApps').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Which of these mini program IDs exist. */
  async existingMiniPrograms(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('miniPrograms').select('miniProgramId').where('miniProgramId', 'in', ids).execute();
    return rows.map((r) => r.miniProgramId);
  }

  async miniProgramExists(id: string): Promise<boolean> {
    return (await this.existingMiniPrograms([id])).length > 0;
  }

  /**
   * Upserts each device's latest version. A row only moves forward in time, so batches that arrive out of order
   * (another instance, a retry) never put a device back on an older report. A row dated after `now` (written
   * before reports were clamped to the time they arrive) is replaced, so it cannot pin a device. Rows must be
   * unique by key.
   */
  async upsertLatest(rows: DeviceVersionsTable[], now: string): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db
        .insertInto('deviceVersions')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc
            .columns(['hostAppId', 'miniProgramId', 'deviceId'])
            .doUpdateSet((eb) => ({ version: eb.ref('excluded.version'), reportedAt: eb.ref('excluded.reportedAt') }))
            .where((eb) =>
              eb.or([eb('deviceVersions.reportedAt', '<=', eb.ref('excluded.reportedAt')), eb('deviceVersions.reportedAt', '>', now)]),
            ),
        )
        .execute();
    }
  }

  /** Adds to the daily counters. Rows must be unique by key. */
  async addCounts(rows: EventCountsTable[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db
        .insertInto('eventCounts')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.columns(['miniProgramId', 'day', 'hostAppId', 'version', 'type']).doUpdateSet((eb) => ({
            count: eb('eventCounts.count', '+', eb.ref('excluded.count')),
            patched: eb('eventCounts.patched', '+', eb.ref('excluded.patched')),
            bytesSaved: eb('eventCounts.bytesSaved', '+', eb.ref('excluded.bytesSaved')),
          })),
        )
        .execute();
    }
  }

  /** Adds to the daily failure counters by reason. Rows must be unique by key. */
  async addFailures(rows: FailureCountsTable[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db
        .insertInto('failureCounts')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc
            .columns(['miniProgramId', 'day', 'hostAppId', 'version', 'reason'])
            .doUpdateSet((eb) => ({ count: eb('failureCounts.count', '+', eb.ref('excluded.count')) })),
        )
        .execute();
    }
  }

  /** Failures by version and reason on the days from `sinceDay` on, most first (the first 100). */
  async failures(scope: AdoptionScope, sinceDay: string): Promise<{ version: string; reason: string | null; count: number }[]> {
    let q = this.db
      .selectFrom('failureCounts')
      .where('failureCounts.miniProgramId', '=', scope.miniProgramId)
      .where('failureCounts.day', '>=', sinceDay);
    if (scope.hostAppId !== undefined) q = q.where('failureCounts.hostAppId', '=', scope.hostAppId);
    else if (scope.workspaceId) {
      q = q.innerJoin('hostApps', 'hostApps.id', 'failureCounts.hostAppId').where('hostApps.workspaceId', '=', scope.workspaceId);
    }
    const rows = await q
      .select((eb) => ['failureCounts.version', 'failureCounts.reason', eb.fn.sum<number>('failureCounts.count').as('total')])
      .groupBy(['failureCounts.version', 'failureCounts.reason'])
      .orderBy('total', 'desc')
      .orderBy('failureCounts.version', 'desc')
      .orderBy('failureCounts.reason')
      .limit(100)
      .execute();
    return rows.map((r) => ({ version: r.version, reason: r.reason === '' ? null : r.reason, count: Number(r.total) }));
  }

  /**
   * Devices per version whose latest report is at or after `since`. Over several host apps a device ID is
   * counted once per version (distinct), so the same phone in two host apps is not counted twice.
   */
  async devicesPerVersion(scope: AdoptionScope, since: string): Promise<{ version: string; devices: number }[]> {
    let q = this.db
      .selectFrom('deviceVersions')
      .where('deviceVersions.miniProgramId', '=', scope.miniProgramId)
      .where('deviceVersions.reportedAt', '>=', since);
    if (scope.hostAppId !== undefined) q = q.where('deviceVersions.hostAppId', '=', scope.hostAppId);
    else if (scope.workspaceId) {
      q = q.innerJoin('hostApps', 'hostApps.id', 'deviceVersions.hostAppId').where('hostApps.workspaceId', '=', scope.workspaceId);
    }
    const rows = await q
      .select((eb) => [
        'deviceVersions.version',
        (scope.hostAppId !== undefined ? eb.fn.countAll<number>() : eb.fn.count<number>('deviceVersions.deviceId').distinct()).as(
          'devices',
        ),
      ])
      .groupBy('deviceVersions.version')
      .execute();
    return rows.map((r) => ({ version: r.version, devices: Number(r.devices) }));
  }

  /** Event counts per type on the days from `sinceDay` (YYYY-MM-DD) on. */
  async eventCounts(scope: AdoptionScope, sinceDay: string): Promise<EventCounts> {
    let q = this.db
      .selectFrom('eventCounts')
      .where('eventCounts.miniProgramId', '=', scope.miniProgramId)
      .where('eventCounts.day', '>=', sinceDay);
    if (scope.hostAppId !== undefined) q = q.where('eventCounts.hostAppId', '=', scope.hostAppId);
    else if (scope.workspaceId) {
      q = q.innerJoin('hostApps', 'hostApps.id', 'eventCounts.hostAppId').where('hostApps.workspaceId', '=', scope.workspaceId);
    }
    const rows = await q
      .select((eb) => ['eventCounts.type', eb.fn.sum<number>('eventCounts.count').as('total')])
      .groupBy('eventCounts.type')
      .execute();
    const counts: EventCounts = { download: 0, verified: 0, launch: 0, failure: 0 };
    for (const r of rows) if (r.type in counts) counts[r.type as EventType] = Number(r.total);
    return counts;
  }

  /** Downloads rebuilt from a patch, and the bytes they saved, on the days from `sinceDay` on. */
  async patchSavings(scope: AdoptionScope, sinceDay: string): Promise<PatchSavings> {
    let q = this.db
      .selectFrom('eventCounts')
      .where('eventCounts.miniProgramId', '=', scope.miniProgramId)
      .where('eventCounts.day', '>=', sinceDay)
      .where('eventCounts.type', '=', 'download');
    if (scope.hostAppId !== undefined) q = q.where('eventCounts.hostAppId', '=', scope.hostAppId);
    else if (scope.workspaceId) {
      q = q.innerJoin('hostApps', 'hostApps.id', 'eventCounts.hostAppId').where('hostApps.workspaceId', '=', scope.workspaceId);
    }
    const row = await q
      .select((eb) => [
        eb.fn.sum<number>('eventCounts.patched').as('downloads'),
        eb.fn.sum<number>('eventCounts.bytesSaved').as('bytesSaved'),
      ])
      .executeTakeFirst();
    return { downloads: Number(row?.downloads ?? 0), bytesSaved: Number(row?.bytesSaved ?? 0) };
  }

  /** Deletes what is older than the retention: devices not heard from since `before`, counters of earlier days. */
  async sweep(before: string, beforeDay: string): Promise<{ devices: number; counters: number }> {
    const devices = await this.db.deleteFrom('deviceVersions').where('reportedAt', '<', before).executeTakeFirst();
    const counters = await this.db.deleteFrom('eventCounts').where('day', '<', beforeDay).executeTakeFirst();
    const failures = await this.db.deleteFrom('failureCounts').where('day', '<', beforeDay).executeTakeFirst();
    return { devices: Number(devices.numDeletedRows), counters: Number(counters.numDeletedRows) + Number(failures.numDeletedRows) };
  }
}
