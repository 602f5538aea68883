import type { Executor } from '../../db/executor.js';
import type { AutopilotDevicesTable, ReleaseRow } from '../../db/schema.js';
import type { StepFigures } from './autopilot.js';

/** Rows per statement: well under either dialect's bound-parameter limit. */
const CHUNK = 500;

/** What the autopilot reads and writes: the devices its releases served that reported, and the releases it steers. */
export class AutopilotRepository {
  constructor(private readonly db: Executor) {}

  /** Releases steered by an autopilot and rolling out (paused ones wait for a person). */
  running(): Promise<ReleaseRow[]> {
    return this.db.selectFrom('releases').selectAll().where('autopilot', 'is not', null).where('state', '=', 'rolling-out').execute();
  }

  /** Per mini program, the release an autopilot steers and its version: what the devices' reports are matched to. */
  async steered(): Promise<{ releaseId: string; miniProgramId: string; version: string }[]> {
    return this.db
      .selectFrom('releases')
      .select(['releaseId', 'miniProgramId', 'version'])
      .where('autopilot', 'is not', null)
      .where('state', 'in', ['rolling-out', 'paused'])
      .execute();
  }

  /** The distinct devices of a release that reported a launch, a failure, either, at or after `since`. */
  async figures(releaseId: string, since: string): Promise<StepFigures> {
    const row = await this.db
      .selectFrom('autopilotDevices')
      .where('releaseId', '=', releaseId)
      .where((eb) => eb.or([eb('launchedAt', '>=', since), eb('failedAt', '>=', since)]))
      .select((eb) => [
        eb.fn.count<number>(eb.case().when('launchedAt', '>=', since).then(1).end()).as('launched'),
        eb.fn.count<number>(eb.case().when('failedAt', '>=', since).then(1).end()).as('failed'),
        eb.fn.countAll<number>().as('reported'),
      ])
      .executeTakeFirst();
    return { launched: Number(row?.launched ?? 0), failed: Number(row?.failed ?? 0), reported: Number(row?.reported ?? 0) };
  }

  /**
   * Records the reports of devices, keeping for each the latest launch and failure (another instance's batch may
   * arrive later with older times). Rows must be unique by key; the host apps and releases must exist.
   */
  async record(rows: AutopilotDevicesTable[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db
        .insertInto('autopilotDevices')
        .values(rows.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.columns(['releaseId', 'hostAppId', 'deviceId']).doUpdateSet((eb) => ({
            launchedAt: eb
              .case()
              .when(eb('excluded.launchedAt', 'is', null))
              .then(eb.ref('autopilotDevices.launchedAt'))
              .when(eb('autopilotDevices.launchedAt', 'is', null))
              .then(eb.ref('excluded.launchedAt'))
              .when(eb('excluded.launchedAt', '>', eb.ref('autopilotDevices.launchedAt')))
              .then(eb.ref('excluded.launchedAt'))
              .else(eb.ref('autopilotDevices.launchedAt'))
              .end(),
            failedAt: eb
              .case()
              .when(eb('excluded.failedAt', 'is', null))
              .then(eb.ref('autopilotDevices.failedAt'))
              .when(eb('autopilotDevices.failedAt', 'is', null))
              .then(eb.ref('excluded.failedAt'))
              .when(eb('excluded.failedAt', '>', eb.ref('autopilotDevices.failedAt')))
              .then(eb.ref('excluded.failedAt'))
              .else(eb.ref('autopilotDevices.failedAt'))
              .end(),
          })),
        )
        .execute();
    }
  }

  /** Which of these releases and host apps still exist (a batch may name one deleted meanwhile). */
  async existing(releaseIds: string[], hostAppIds: number[]): Promise<{ releases: Set<string>; hostApps: Set<number> }> {
    const [r, h] = await Promise.all([
      releaseIds.length ? this.db.selectFrom('releases').select('releaseId').where('releaseId', 'in', releaseIds).execute() : [],
      hostAppIds.length ? this.db.selectFrom('hostApps').select('id').where('id', 'in', hostAppIds).execute() : [],
    ]);
    return { releases: new Set(r.map((x) => x.releaseId)), hostApps: new Set(h.map((x) => x.id)) };
  }

  /** Deletes the reports of devices not heard from since `before` (the events' retention). */
  async sweep(before: string): Promise<number> {
    const r = await this.db
      .deleteFrom('autopilotDevices')
      .where((eb) =>
        eb.and([
          eb.or([eb('launchedAt', 'is', null), eb('launchedAt', '<', before)]),
          eb.or([eb('failedAt', 'is', null), eb('failedAt', '<', before)]),
        ]),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
