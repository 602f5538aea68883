import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../db/executor.js';
import type { BindingSignaturesTable, PackageSignaturesTable, SigningFailuresTable } from '../../db/schema.js';

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

export type PackageSignatureRow = Insertable<PackageSignaturesTable>;
export type BindingSignatureRow = Insertable<BindingSignaturesTable>;

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters and SQLite's 32,766. */
const ROWS_PER_STATEMENT = 500;

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

  /** Inserts many at once (one statement per few hundred rows); existing ones are kept. */
  async insertPackageSignatures(rows: PackageSignatureRow[]) {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      await this.db
        .insertInto('packageSignatures')
        .values(rows.slice(i, i + ROWS_PER_STATEMENT))
        .onConflict((oc) => oc.columns(['keyFingerprint', 'sha256']).doNothing())
        .execute();
    }
  }

  /** Inserts many at once (one statement per few hundred rows); existing ones are kept. */
  async insertBindingSignatures(rows: BindingSignatureRow[]) {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      await this.db
        .insertInto('bindingSignatures')
        .values(rows.slice(i, i + ROWS_PER_STATEMENT))
        .onConflict((oc) => oc.columns(['hostAppId', 'miniProgramId', 'version', 'keyFingerprint']).doNothing())
        .execute();
    }
  }

  /** Records (or replaces) why a package could not be signed with a key. */
  async recordFailure(row: Insertable<SigningFailuresTable>) {
    const { keyFingerprint, sha256, ...rest } = row;
    await this.db
      .insertInto('signingFailures')
      .values(row)
      .onConflict((oc) => oc.columns(['keyFingerprint', 'sha256']).doUpdateSet(rest))
      .execute();
  }

  /** Forgets the failures of these (key, package) pairs: they are signed now. */
  async clearFailures(pairs: Pick<Selectable<SigningFailuresTable>, 'keyFingerprint' | 'sha256'>[]) {
    if (pairs.length === 0) return;
    // Failures are rare: skip the delete when there are none at all.
    if (!(await this.db.selectFrom('signingFailures').select('keyFingerprint').limit(1).executeTakeFirst())) return;
    for (const p of pairs) {
      await this.db.deleteFrom('signingFailures').where('keyFingerprint', '=', p.keyFingerprint).where('sha256', '=', p.sha256).execute();
    }
  }

  /** Drops the signatures and failures of keys no host app uses any more (deleted, rotated). */
  async deleteUnusedKeys() {
    const inUse = this.db.selectFrom('devConfigs').select('keyFingerprint');
    await this.db.deleteFrom('packageSignatures').where('keyFingerprint', 'not in', inUse).execute();
    await this.db.deleteFrom('bindingSignatures').where('keyFingerprint', 'not in', inUse).execute();
    await this.db.deleteFrom('signingFailures').where('keyFingerprint', 'not in', inUse).execute();
  }
}
