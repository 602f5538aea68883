import type { Executor } from '../../db/executor.js';

/** The reads behind the run-time gate's in-memory views (one per host app, built on a cache miss). */
export class GateRepository {
  constructor(private readonly db: Executor) {}

  /**
   * @returns the host app with its disabled time, generation, virtual domain and key (fingerprint and sealed private
   * key, null when not configured), or undefined.
   */
  findHostApp(workspaceId: string, appId: string) {
    return this.db
      .selectFrom('hostApps')
      .leftJoin('devConfigs', 'devConfigs.hostAppId', 'hostApps.id')
      .select([
        'hostApps.id',
        'hostApps.disabledAt',
        'hostApps.generation',
        'devConfigs.virtualDomain',
        'devConfigs.keyFingerprint',
        'devConfigs.privateKeySealed',
      ])
      .where('hostApps.workspaceId', '=', workspaceId)
      .where('hostApps.appId', '=', appId)
      .executeTakeFirst();
  }

  /**
   * The releases that decide what a host app gets, for every mini program authorised for it, newest first: every
   * release but those that ended without being complete (superseded, rolled back): the current ones of each host
   * app, the take-downs (the history walk stops there), and the complete ones (what devices may fall back to).
   * Signatures under this key are null where missing.
   */
  releases(hostAppId: number, keyFingerprint: string) {
    return this.db
      .selectFrom('releases as r')
      .innerJoin('hostAppMiniPrograms as am', (j) => j.onRef('am.miniProgramId', '=', 'r.miniProgramId').on('am.hostAppId', '=', hostAppId))
      .innerJoin('miniPrograms as mp', 'mp.miniProgramId', 'r.miniProgramId')
      .innerJoin('miniProgramPackages as p', (j) => j.onRef('p.miniProgramId', '=', 'r.miniProgramId').onRef('p.version', '=', 'r.version'))
      .leftJoin('packageSignatures as s', (j) => j.onRef('s.sha256', '=', 'p.sha256').on('s.keyFingerprint', '=', keyFingerprint))
      .leftJoin('bindingSignatures as b', (j) =>
        j
          .onRef('b.hostAppId', '=', 'am.hostAppId')
          .onRef('b.miniProgramId', '=', 'r.miniProgramId')
          .onRef('b.version', '=', 'r.version')
          .on('b.keyFingerprint', '=', keyFingerprint),
      )
      .select([
        'r.id',
        'r.releaseId',
        'r.miniProgramId',
        'r.version',
        'r.state',
        'r.percentBp',
        'r.steps',
        'r.pausedAt',
        'r.deviceCount',
        'r.hostApps',
        'r.mandatory',
        'mp.currentReleaseId',
        'p.sha256',
        'p.size',
        'p.mainUrl',
        'p.platform',
        'p.clientVersionMin',
        'p.clientVersionMax',
        's.signature',
        'b.signature as bindingSignature',
      ])
      .where('r.state', 'not in', ['superseded', 'rolled-back'])
      .orderBy('r.id', 'desc')
      .execute();
  }

  /** The fingerprints of the host app's keys an operator retired ahead of time, in a stable order. */
  async revokedKeys(hostAppId: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('hostAppPreviousKeys')
      .select('keyFingerprint')
      .where('hostAppId', '=', hostAppId)
      .where('revokedAt', 'is not', null)
      .orderBy('keyFingerprint')
      .execute();
    return rows.map((r) => r.keyFingerprint);
  }

  /** The whitelisted device IDs of a release. */
  async devices(releaseId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('releaseDevices').select('deviceId').where('releaseId', '=', releaseId).execute();
    return rows.map((r) => r.deviceId);
  }
}

export type GateReleaseRow = Awaited<ReturnType<GateRepository['releases']>>[number];
