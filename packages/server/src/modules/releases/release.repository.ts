import type { Executor } from '../../db/executor.js';
import type { NewReleaseRow, ReleaseRow, ReleasesTable } from '../../db/schema.js';

/** Rows per insert of whitelisted devices: two parameters each, far below either dialect's limit. */
const DEVICE_CHUNK = 1000;

/** Per version of a mini program: how many host apps need its signatures, how many have both, how many failed. */
export interface VersionSigning {
  version: string;
  total: number;
  done: number;
  failed: number;
  reason: string | null;
}

/** Releases of mini programs (the history), their device whitelists, and the signing state of their versions. */
export class ReleaseRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Takes the mini program's row lock for the rest of the transaction (an update: the one way to lock a row that
   * reads the same on SQLite, which locks the whole database anyway, and PostgreSQL), so that two release changes of
   * one mini program run one after the other. @returns false when there is no such mini program.
   */
  async lockMiniProgram(miniProgramId: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable('miniPrograms')
      .set({ updatedAt: at })
      .where('miniProgramId', '=', miniProgramId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  find(releaseId: string): Promise<ReleaseRow | undefined> {
    return this.db.selectFrom('releases').selectAll().where('releaseId', '=', releaseId).executeTakeFirst();
  }

  /** The history of a mini program, newest first. */
  list(miniProgramId: string, limit = 500): Promise<ReleaseRow[]> {
    return this.db
      .selectFrom('releases')
      .selectAll()
      .where('miniProgramId', '=', miniProgramId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Inserts a release and its whitelist. */
  async insert(row: Omit<NewReleaseRow, 'id'>, devices: readonly string[]): Promise<void> {
    await this.db.insertInto('releases').values(row).execute();
    for (let i = 0; i < devices.length; i += DEVICE_CHUNK) {
      await this.db
        .insertInto('releaseDevices')
        .values(devices.slice(i, i + DEVICE_CHUNK).map((deviceId) => ({ releaseId: row.releaseId, deviceId })))
        .execute();
    }
  }

  async update(
    releaseId: string,
    set: Partial<Pick<ReleasesTable, 'state' | 'percentBp' | 'steps' | 'pausedAt' | 'updatedAt'>> & {
      autopilot?: string | null;
      stepsAppliedAt?: string;
    },
  ): Promise<void> {
    await this.db.updateTable('releases').set(set).where('releaseId', '=', releaseId).execute();
  }

  /** Rollouts going on a schedule: rolling out, not paused, with steps (the scheduled-steps job looks at these). */
  scheduled(): Promise<ReleaseRow[]> {
    return this.db
      .selectFrom('releases')
      .selectAll()
      .where('state', '=', 'rolling-out')
      .where('pausedAt', 'is', null)
      .where('steps', '<>', '[]')
      .execute();
  }

  /** The whitelisted device IDs of a release. */
  async devices(releaseId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('releaseDevices').select('deviceId').where('releaseId', '=', releaseId).execute();
    return rows.map((r) => r.deviceId);
  }

  /** Makes a release the current one of its mini program, with the version host apps now get (null: none). */
  async setCurrent(miniProgramId: string, releaseId: string, releasedVersion: string | null, at: string): Promise<void> {
    await this.db
      .updateTable('miniPrograms')
      .set({ currentReleaseId: releaseId, releasedVersion, updatedAt: at })
      .where('miniProgramId', '=', miniProgramId)
      .execute();
  }

  /**
   * For each version of a mini program: the authorised host apps with a development configuration (each needs a
   * package and a binding signature under its key), how many have both, and how many failed, with one reason.
   */
  async signing(miniProgramId: string): Promise<Map<string, VersionSigning>> {
    const rows = await this.db
      .selectFrom('hostAppMiniPrograms as am')
      .innerJoin('devConfigs as dc', 'dc.hostAppId', 'am.hostAppId')
      .innerJoin('miniProgramPackages as p', 'p.miniProgramId', 'am.miniProgramId')
      .leftJoin('packageSignatures as s', (j) => j.onRef('s.keyFingerprint', '=', 'dc.keyFingerprint').onRef('s.sha256', '=', 'p.sha256'))
      .leftJoin('bindingSignatures as b', (j) =>
        j
          .onRef('b.hostAppId', '=', 'am.hostAppId')
          .onRef('b.miniProgramId', '=', 'am.miniProgramId')
          .onRef('b.version', '=', 'p.version')
          .onRef('b.keyFingerprint', '=', 'dc.keyFingerprint'),
      )
      .leftJoin('signingFailures as f', (j) => j.onRef('f.keyFingerprint', '=', 'dc.keyFingerprint').onRef('f.sha256', '=', 'p.sha256'))
      .where('am.miniProgramId', '=', miniProgramId)
      .groupBy('p.version')
      .select((eb) => {
        const served = eb.and([eb('b.signature', 'is not', null), eb('s.signature', 'is not', null)]);
        return [
          'p.version',
          eb.fn.countAll<number>().as('total'),
          eb.fn.count<number>(eb.case().when(served).then(1).end()).as('done'),
          eb.fn.count<number>(eb.case().when(eb.not(served)).then(eb.ref('f.reason')).end()).as('failed'),
          eb.fn.max(eb.case().when(eb.not(served)).then(eb.ref('f.reason')).end()).as('reason'),
        ];
      })
      .execute();
    return new Map(
      rows.map((r) => [
        r.version,
        {
          version: r.version,
          total: Number(r.total),
          done: Number(r.done),
          failed: Number(r.failed),
          reason: r.reason ?? null,
        },
      ]),
    );
  }
}
