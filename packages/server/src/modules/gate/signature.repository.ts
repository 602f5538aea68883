import type { Executor } from '../../db/executor.js';

/** What the gate may serve a host app that lacks a signature: a (host app, mini program, version) and its key. */
export interface SigningWork {
  hostAppId: number;
  workspaceId: string;
  appId: string;
  keyFingerprint: string;
  privateKeySealed: string;
  miniProgramId: string;
  version: string;
  sha256: string;
  /** Whether the package signature (key, SHA-256) exists already; the binding signature is missing otherwise. */
  packageSigned: boolean;
}

/** The signatures handed to host apps, and the record of failures to make them. */
export class SignatureRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Every (host app, mini program, version) the gate may serve, within the scope, that lacks its package or its
   * binding signature under the host app's current key: the version of each current release and the previous one
   * (what devices outside a rollout get). Whitelisted devices may be in any authorised host app, so the scope of a
   * release does not narrow this.
   */
  async missing(scope: { hostAppId?: number; miniProgramId?: string }): Promise<SigningWork[]> {
    let q = this.db
      .selectFrom('hostAppMiniPrograms as am')
      .innerJoin('hostApps as ha', 'ha.id', 'am.hostAppId')
      .innerJoin('devConfigs as dc', 'dc.hostAppId', 'ha.id')
      .innerJoin('miniPrograms as mp', 'mp.miniProgramId', 'am.miniProgramId')
      .innerJoin('releases as r', 'r.releaseId', 'mp.currentReleaseId')
      .innerJoin('miniProgramPackages as p', (j) =>
        j
          .onRef('p.miniProgramId', '=', 'mp.miniProgramId')
          .on((eb) => eb.or([eb('p.version', '=', eb.ref('r.version')), eb('p.version', '=', eb.ref('r.previousVersion'))])),
      )
      .leftJoin('packageSignatures as s', (j) => j.onRef('s.keyFingerprint', '=', 'dc.keyFingerprint').onRef('s.sha256', '=', 'p.sha256'))
      .leftJoin('bindingSignatures as b', (j) =>
        j
          .onRef('b.hostAppId', '=', 'ha.id')
          .onRef('b.miniProgramId', '=', 'mp.miniProgramId')
          .onRef('b.version', '=', 'p.version')
          .onRef('b.keyFingerprint', '=', 'dc.keyFingerprint'),
      )
      .select([
        'ha.id as hostAppId',
        'ha.workspaceId',
        'ha.appId',
        'dc.keyFingerprint',
        'dc.privateKeySealed',
        'mp.miniProgramId',
        'p.version',
        'p.sha256',
        's.signature as packageSignature',
      ])
      .where('r.state', '<>', 'taken-down')
      .where((eb) => eb.or([eb('s.signature', 'is', null), eb('b.signature', 'is', null)]));
    if (scope.hostAppId !== undefined) q = q.where('ha.id', '=', scope.hostAppId);
    if (scope.miniProgramId !== undefined) q = q.where('mp.miniProgramId', '=', scope.miniProgramId);
    const rows = await q.execute();
    return rows.map(({ packageSignature, ...r }) => ({ ...r, packageSigned: packageSignature !== null }));
  }

  async insertPackageSignature(row: { keyFingerprint: string; sha256: string; signature: string; createdAt: string }) {
    await this.db
      .insertInto('packageSignatures')
      .values(row)
      .onConflict((oc) => oc.columns(['keyFingerprint', 'sha256']).doNothing())
      .execute();
  }

  async insertBindingSignature(row: {
    hostAppId: number;
    miniProgramId: string;
    version: string;
    keyFingerprint: string;
    sha256: string;
    signature: string;
    createdAt: string;
  }) {
    await this.db
      .insertInto('bindingSignatures')
      .values(row)
      .onConflict((oc) => oc.columns(['hostAppId', 'miniProgramId', 'version', 'keyFingerprint']).doNothing())
      .execute();
  }

  /** Records (or replaces) why a package could not be signed with a key. */
  async recordFailure(row: { keyFingerprint: string; sha256: string; reason: string; failedAt: string }) {
    const { keyFingerprint, sha256, ...rest } = row;
    await this.db
      .insertInto('signingFailures')
      .values(row)
      .onConflict((oc) => oc.columns(['keyFingerprint', 'sha256']).doUpdateSet(rest))
      .execute();
  }

  async clearFailure(keyFingerprint: string, sha256: string) {
    await this.db.deleteFrom('signingFailures').where('keyFingerprint', '=', keyFingerprint).where('sha256', '=', sha256).execute();
  }

  /** Drops the signatures and failures of keys no host app uses any more (deleted, rotated). */
  async deleteUnusedKeys() {
    const inUse = this.db.selectFrom('devConfigs').select('keyFingerprint');
    await this.db.deleteFrom('packageSignatures').where('keyFingerprint', 'not in', inUse).execute();
    await this.db.deleteFrom('bindingSignatures').where('keyFingerprint', 'not in', inUse).execute();
    await this.db.deleteFrom('signingFailures').where('keyFingerprint', 'not in', inUse).execute();
  }
}
