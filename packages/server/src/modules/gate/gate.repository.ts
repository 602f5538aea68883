import { PATCH_FORMATS } from '@mpop/contracts';
import type { Executor } from '../../db/executor.js';

/** The reads behind the run-time gate's in-memory views (one per host app, built on a cache miss). */
export class GateRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Host apps by (workspace, APPID), with their disabled time, generation, virtual domain and key (fingerprint and
   * sealed private key, null when not configured): one query for many (a batch of the gate's views). Those not
   * registered are absent.
   */
  findHostApps(refs: readonly { workspaceId: string; appId: string }[]) {
    const byWorkspace = new Map<string, string[]>();
    for (const r of refs) {
      const list = byWorkspace.get(r.workspaceId);
      if (list) list.push(r.appId);
      else byWorkspace.set(r.workspaceId, [r.appId]);
    }
    return this.db
      .selectFrom('hostApps')
      .leftJoin('devConfigs', 'devConfigs.hostAppId', 'hostApps.id')
      .select([
        'hostApps.id',
        'hostApps.workspaceId',
        'hostApps.appId',
        'hostApps.disabledAt',
        'hostApps.generation',
        'devConfigs.virtualDomain',
        'devConfigs.keyFingerprint',
        'devConfigs.privateKeySealed',
      ])
      .where((eb) =>
        eb.or(
          [...byWorkspace].map(([workspaceId, appIds]) =>
            eb.and([eb('hostApps.workspaceId', '=', workspaceId), eb('hostApps.appId', 'in', appIds)]),
          ),
        ),
      )
      .execute();
  }

  /**
   * The releases that decide what each host app gets, for every mini program authorised for it, newest first: every
   * release but those that ended without being complete (superseded, rolled back): the current ones of each host
   * app, the take-downs (the history walk stops there), and the complete ones (what devices may fall back to).
   * Signatures are those under each host app's current key, null where missing. One query for many host apps.
   */
  releases(hostAppIds: readonly number[]) {
    return this.db
      .selectFrom('releases as r')
      .innerJoin('hostAppMiniPrograms as am', 'am.miniProgramId', 'r.miniProgramId')
      .innerJoin('devConfigs as dc', 'dc.hostAppId', 'am.hostAppId')
      .innerJoin('miniPrograms as mp', 'mp.miniProgramId', 'r.miniProgramId')
      .innerJoin('miniProgramPackages as p', (j) => j.onRef('p.miniProgramId', '=', 'r.miniProgramId').onRef('p.version', '=', 'r.version'))
      .leftJoin('packageSignatures as s', (j) => j.onRef('s.sha256', '=', 'p.sha256').onRef('s.keyFingerprint', '=', 'dc.keyFingerprint'))
      .leftJoin('bindingSignatures as b', (j) =>
        j
          .onRef('b.hostAppId', '=', 'am.hostAppId')
          .onRef('b.miniProgramId', '=', 'r.miniProgramId')
          .onRef('b.version', '=', 'r.version')
          .onRef('b.keyFingerprint', '=', 'dc.keyFingerprint'),
      )
      .select([
        'am.hostAppId',
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
        'p.releaseSignature',
        'p.releaseKeyFingerprint',
        's.signature',
        'b.signature as bindingSignature',
      ])
      .where('am.hostAppId', 'in', hostAppIds)
      .where('r.state', 'not in', ['superseded', 'rolled-back'])
      .orderBy('r.id', 'desc')
      .execute();
  }

  /** The fingerprints of the keys an operator retired ahead of time, of many host apps, in a stable order. */
  revokedKeys(hostAppIds: readonly number[]) {
    return this.db
      .selectFrom('hostAppPreviousKeys')
      .select(['hostAppId', 'keyFingerprint'])
      .where('hostAppId', 'in', [...hostAppIds])
      .where('revokedAt', 'is not', null)
      .orderBy('keyFingerprint')
      .execute();
  }

  /**
   * The kept patches (status done) to the versions of the mini programs authorised for these host apps: the gate
   * offers one to a device that names its `fromVersion`.
   */
  patches(hostAppIds: readonly number[]) {
    return (
      this.db
        .selectFrom('packagePatches as pp')
        .innerJoin('hostAppMiniPrograms as am', 'am.miniProgramId', 'pp.miniProgramId')
        .select([
          'am.hostAppId',
          'pp.miniProgramId',
          'pp.fromVersion',
          'pp.toVersion',
          'pp.fromSha256',
          'pp.toSha256',
          'pp.format',
          'pp.sha256',
          'pp.size',
        ])
        .where('am.hostAppId', 'in', hostAppIds)
        .where('pp.status', '=', 'done')
        // Only the format clients apply (a row of an earlier development build's format is not offered).
        .where('pp.format', 'in', PATCH_FORMATS)
        .execute()
    );
  }

  /** The whitelisted device IDs of a release. */
  async devices(releaseId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('releaseDevices').select('deviceId').where('releaseId', '=', releaseId).execute();
    return rows.map((r) => r.deviceId);
  }
}

export type GateReleaseRow = Awaited<ReturnType<GateRepository['releases']>>[number];

export type GatePatchRow = Awaited<ReturnType<GateRepository['patches']>>[number];
