import type { Executor } from '../../db/executor.js';

/** The reads behind the run-time gate's in-memory views (one per host app, built on a cache miss). */
export class GateRepository {
  constructor(private readonly db: Executor) {}

  /** @returns the host app with its disabled time, virtual domain and key fingerprint (null when not configured), or undefined. */
  findHostApp(workspaceId: string, appId: string) {
    return this.db
      .selectFrom('hostApps')
      .leftJoin('devConfigs', 'devConfigs.hostAppId', 'hostApps.id')
      .select(['hostApps.id', 'hostApps.disabledAt', 'devConfigs.virtualDomain', 'devConfigs.keyFingerprint'])
      .where('hostApps.workspaceId', '=', workspaceId)
      .where('hostApps.appId', '=', appId)
      .executeTakeFirst();
  }

  /** The released packages of the mini programs authorised for a host app, with both signatures under its key. */
  servable(hostAppId: number, keyFingerprint: string) {
    return this.db
      .selectFrom('hostAppMiniPrograms as am')
      .innerJoin('miniPrograms as mp', 'mp.miniProgramId', 'am.miniProgramId')
      .innerJoin('miniProgramPackages as p', (j) =>
        j.onRef('p.miniProgramId', '=', 'mp.miniProgramId').onRef('p.version', '=', 'mp.releasedVersion'),
      )
      .innerJoin('packageSignatures as s', (j) => j.onRef('s.sha256', '=', 'p.sha256').on('s.keyFingerprint', '=', keyFingerprint))
      .innerJoin('bindingSignatures as b', (j) =>
        j
          .onRef('b.hostAppId', '=', 'am.hostAppId')
          .onRef('b.miniProgramId', '=', 'mp.miniProgramId')
          .onRef('b.version', '=', 'p.version')
          .on('b.keyFingerprint', '=', keyFingerprint),
      )
      .select([
        'mp.miniProgramId',
        'p.version',
        'p.sha256',
        'p.size',
        'p.mainUrl',
        'p.platform',
        'p.clientVersionMin',
        'p.clientVersionMax',
        's.signature',
        'b.signature as bindingSignature',
      ])
      .where('am.hostAppId', '=', hostAppId)
      .execute();
  }
}
