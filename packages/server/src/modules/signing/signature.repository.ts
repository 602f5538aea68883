import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../db/executor.js';
import type { BindingSignaturesTable, PackageSignaturesTable, SigningFailuresTable } from '../../db/schema.js';
import { type LineRow, servableVersions } from '../gate/served.js';
import { type HostRef, scopeOf } from '../releases/scope.js';

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

/** What a signing job covers: one host app, one mini program, both, or (neither) everything. */
export interface SigningScope {
  hostAppId?: number;
  miniProgramId?: string;
}

export type PackageSignatureRow = Insertable<PackageSignaturesTable>;
export type BindingSignatureRow = Insertable<BindingSignaturesTable>;

/** (mini program, version) pairs per query of missing signatures: two parameters each. */
const PAIRS_PER_QUERY = 200;

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters and SQLite's 32,766. */
const ROWS_PER_STATEMENT = 500;

/** The signatures handed to host apps, and the record of failures to make them. */
export class SignatureRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Every (host app, mini program, version) the gate may serve, within the scope, that lacks its package or its
   * binding signature under the host app's current key: the versions of each host app's line (served.ts
   * servableVersions: its current release, what its devices fall back to, a whitelist lent by the newest release).
   * They are made for every authorised host app, whatever the scopes: a whitelisted device may be in any of them.
   */
  async missing(scope: { hostAppId?: number; miniProgramId?: string }): Promise<SigningWork[]> {
    const pairs = [...(await this.servable(scope))].flatMap(([miniProgramId, versions]) =>
      versions.map((v) => [miniProgramId, v] as const),
    );
    return this.missingOf(pairs, scope.hostAppId);
  }

  /**
   * Every authorised host app with a key that lacks the package or the binding signature of this version, whether
   * or not anything serves it yet: the signatures a release of it will need, made ahead (PackageSigner.prepare).
   */
  missingForVersion(miniProgramId: string, version: string): Promise<SigningWork[]> {
    return this.missingOf([[miniProgramId, version]]);
  }

  private async missingOf(pairs: readonly (readonly [string, string])[], hostAppId?: number): Promise<SigningWork[]> {
    const out: SigningWork[] = [];
    for (let i = 0; i < pairs.length; i += PAIRS_PER_QUERY) {
      const chunk = pairs.slice(i, i + PAIRS_PER_QUERY);
      let q = this.db
        .selectFrom('hostAppMiniPrograms as am')
        .innerJoin('hostApps as ha', 'ha.id', 'am.hostAppId')
        .innerJoin('devConfigs as dc', 'dc.hostAppId', 'ha.id')
        .innerJoin('miniProgramPackages as p', 'p.miniProgramId', 'am.miniProgramId')
        .leftJoin('packageSignatures as s', (j) => j.onRef('s.keyFingerprint', '=', 'dc.keyFingerprint').onRef('s.sha256', '=', 'p.sha256'))
        .leftJoin('bindingSignatures as b', (j) =>
          j
            .onRef('b.hostAppId', '=', 'ha.id')
            .onRef('b.miniProgramId', '=', 'p.miniProgramId')
            .onRef('b.version', '=', 'p.version')
            .onRef('b.keyFingerprint', '=', 'dc.keyFingerprint'),
        )
        .select([
          'ha.id as hostAppId',
          'ha.workspaceId',
          'ha.appId',
          'dc.keyFingerprint',
          'dc.privateKeySealed',
          'p.miniProgramId',
          'p.version',
          'p.sha256',
          's.signature as packageSignature',
        ])
        .where((eb) =>
          eb.or(
            chunk.map(([miniProgramId, version]) => eb.and([eb('p.miniProgramId', '=', miniProgramId), eb('p.version', '=', version)])),
          ),
        )
        .where((eb) => eb.or([eb('s.signature', 'is', null), eb('b.signature', 'is', null)]));
      if (hostAppId !== undefined) q = q.where('ha.id', '=', hostAppId);
      for (const { packageSignature, ...r } of await q.execute()) out.push({ ...r, packageSigned: packageSignature !== null });
    }
    return out;
  }

  /** The host apps with a development configuration (a key) the mini program is authorised for, as `[workspaceId, appId]`. */
  async configuredHostApps(miniProgramId: string): Promise<[string, string][]> {
    const rows = await this.db
      .selectFrom('hostAppMiniPrograms as am')
      .innerJoin('hostApps as ha', 'ha.id', 'am.hostAppId')
      .innerJoin('devConfigs as dc', 'dc.hostAppId', 'ha.id')
      .select(['ha.workspaceId', 'ha.appId'])
      .where('am.miniProgramId', '=', miniProgramId)
      .execute();
    return rows.map((r) => [r.workspaceId, r.appId]);
  }

  /** Per mini program in the scope, the versions the gate may serve some host app (the union of every host app's line). */
  private async servable(scope: { hostAppId?: number; miniProgramId?: string }): Promise<Map<string, string[]>> {
    let q = this.db
      .selectFrom('releases as r')
      .innerJoin('miniPrograms as mp', 'mp.miniProgramId', 'r.miniProgramId')
      .innerJoin('miniProgramPackages as p', (j) => j.onRef('p.miniProgramId', '=', 'r.miniProgramId').onRef('p.version', '=', 'r.version'))
      .select([
        'r.releaseId',
        'r.miniProgramId',
        'r.version',
        'r.state',
        'r.hostApps',
        'r.deviceCount',
        'mp.currentReleaseId',
        'p.platform',
        'p.clientVersionMin',
        'p.clientVersionMax',
      ])
      .where('r.state', 'not in', ['superseded', 'rolled-back']);
    if (scope.miniProgramId !== undefined) q = q.where('r.miniProgramId', '=', scope.miniProgramId);
    if (scope.hostAppId !== undefined) {
      q = q.where(
        'r.miniProgramId',
        'in',
        this.db.selectFrom('hostAppMiniPrograms').select('miniProgramId').where('hostAppId', '=', scope.hostAppId),
      );
    }
    const byProgram = new Map<string, LineRow[]>();
    for (const r of await q.orderBy('r.id', 'desc').execute()) {
      const list = byProgram.get(r.miniProgramId);
      if (list) list.push(r);
      else byProgram.set(r.miniProgramId, [r]);
    }
    const out = new Map<string, string[]>();
    for (const [miniProgramId, history] of byProgram) {
      // Host apps differ only by the scopes that name them: one of each, and one that no scope names.
      const hosts = new Map<string, HostRef>([['', { workspaceId: '', appId: '' }]]);
      for (const r of history) for (const h of scopeOf(r) ?? []) hosts.set(`${h.workspaceId}\n${h.appId}`, h);
      const versions = new Set([...hosts.values()].flatMap((h) => servableVersions(history, h)));
      if (versions.size) out.set(miniProgramId, [...versions]);
    }
    return out;
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

  /** Records a signing job as started and not finished (its scope); see migration 0017. */
  async addPending(id: string, scope: SigningScope, createdAt: string) {
    await this.db
      .insertInto('signingPending')
      .values({ id, hostAppId: scope.hostAppId ?? null, miniProgramId: scope.miniProgramId ?? null, createdAt })
      .execute();
  }

  /**
   * A job made every signature of its scope: its row goes, and so do the rows of failed jobs of the same scope
   * started before it (it did their work). Rows of jobs still running elsewhere are left to them.
   */
  async finishPending(id: string, scope: SigningScope, startedAt: string) {
    await this.db.deleteFrom('signingPending').where('id', '=', id).execute();
    await this.db
      .deleteFrom('signingPending')
      .where('failedAt', 'is not', null)
      .where('createdAt', '<=', startedAt)
      .where((eb) => (scope.hostAppId === undefined ? eb('hostAppId', 'is', null) : eb('hostAppId', '=', scope.hostAppId)))
      .where((eb) => (scope.miniProgramId === undefined ? eb('miniProgramId', 'is', null) : eb('miniProgramId', '=', scope.miniProgramId)))
      .execute();
  }

  /** A job ended with signatures unmade: its row stays, marked, for the next start (or job of its scope) to retry. */
  async failPending(id: string, failedAt: string) {
    await this.db.updateTable('signingPending').set({ failedAt }).where('id', '=', id).execute();
  }

  /** Every unfinished job's row (few: one per job running or failed), oldest first. */
  async pending(): Promise<{ id: string; scope: SigningScope }[]> {
    const rows = await this.db.selectFrom('signingPending').select(['id', 'hostAppId', 'miniProgramId']).orderBy('createdAt').execute();
    return rows.map((r) => ({
      id: r.id,
      scope: {
        ...(r.hostAppId !== null ? { hostAppId: r.hostAppId } : {}),
        ...(r.miniProgramId !== null ? { miniProgramId: r.miniProgramId } : {}),
      },
    }));
  }

  /** Forgets rows another job took over. */
  async dropPending(ids: readonly string[]) {
    if (ids.length) await this.db.deleteFrom('signingPending').where('id', 'in', ids).execute();
  }

  /** Drops the signatures and failures of keys no host app uses any more (deleted, rotated). */
  async deleteUnusedKeys() {
    const inUse = this.db.selectFrom('devConfigs').select('keyFingerprint');
    await this.db.deleteFrom('packageSignatures').where('keyFingerprint', 'not in', inUse).execute();
    await this.db.deleteFrom('bindingSignatures').where('keyFingerprint', 'not in', inUse).execute();
    await this.db.deleteFrom('signingFailures').where('keyFingerprint', 'not in', inUse).execute();
  }
}
