import type { Kysely, Selectable } from 'kysely';
import {
  type AuthorizedMiniProgram,
  type MiniProgram,
  type MiniProgramRollout,
  NAME_MAX,
  type Package,
  type SigningJob,
  type SigningReasonCode,
} from '@mpop/contracts';
import type { Database, MiniProgramPackagesTable, ReleaseState } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/connect.js';
import { AppError, notFound, validationFailed } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { cleanName } from '../../lib/names.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from '../auth/auth.service.js';
import { HostAppRepository } from '../host-apps/host-app.repository.js';
import { hostAppNotFound, hostAppTarget } from '../host-apps/host-app.service.js';
import type { PackageStore, ReceivedFile } from './package-store.js';
import { MiniProgramRepository } from './mini-program.repository.js';
import { canonicalVersion, compareVersions } from './versions.js';
import { drawMiniProgramId, isReservedMiniProgramId } from './mini-program-id.js';
import { inspectPackage } from './zip-inspect.js';

export interface PackageUpload {
  version: string;
  platform?: string;
  clientVersionMin?: string;
  clientVersionMax?: string;
  file: ReceivedFile;
}

/**
 * What authorising a mini program asks of the signer: make the signatures the new binding lacks. The signer
 * (`modules/signing/package-signer.ts`) reads packages from this module's store, so this module names only the
 * one method it needs instead of importing the signer (the two folders would import each other).
 */
export interface MissingSignatures {
  signMissing(
    scope: { hostAppId?: number; miniProgramId?: string },
    why: { code: SigningReasonCode; params?: Record<string, string> },
  ): Promise<SigningJob>;
}

/** The current release of a mini program as stored, and what the release rules make of it now. */
export interface RolloutReader {
  rolloutOf(release: {
    version: string;
    state: ReleaseState;
    percentBp: number;
    steps: string;
    pausedAt: string | null;
    previousVersion: string | null;
  }): MiniProgramRollout | null;
}

type PackageRow = Selectable<MiniProgramPackagesTable>;

export class MiniProgramService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: PackageStore,
    private readonly signer: MissingSignatures,
    private readonly changes: ChangeBus,
    /** Draws a free-to-try mini program ID (never a reserved one); tests may script it. */
    private readonly drawId: () => string = drawMiniProgramId,
    /** Tells a rollout from a full release (the release rules live in `modules/releases`). */
    private readonly rollouts: RolloutReader = { rolloutOf: () => null },
  ) {}

  async list(): Promise<MiniProgram[]> {
    return (await new MiniProgramRepository(this.db).list()).map((row) => {
      const { releaseState, releasePercentBp, releaseSteps, releasePausedAt, releasePreviousVersion, authorizedHostApps, ...mp } = row;
      const rollout =
        mp.releasedVersion !== null && releaseState !== null && releasePercentBp !== null && releaseSteps !== null
          ? this.rollouts.rolloutOf({
              version: mp.releasedVersion,
              state: releaseState,
              percentBp: releasePercentBp,
              steps: releaseSteps,
              pausedAt: releasePausedAt,
              previousVersion: releasePreviousVersion,
            })
          : null;
      return { ...mp, rollout, authorizedHostApps: Number(authorizedHostApps ?? 0) };
    });
  }

  async create(input: { name: string; miniProgramId?: string }, actor: Principal): Promise<MiniProgram> {
    const name = cleanName(input.name, { field: 'name', label: 'The mini program name', max: NAME_MAX });
    if (input.miniProgramId && isReservedMiniProgramId(input.miniProgramId)) {
      throw validationFailed('miniProgramId', 'IDs starting with 666 or 20000 are reserved; choose another or leave it out.');
    }
    const now = nowIso();
    try {
      return await this.db.transaction().execute(async (trx) => {
        const repo = new MiniProgramRepository(trx);
        let id = input.miniProgramId;
        if (id && (await repo.find(id))) throw exists(id);
        for (let i = 0; !id && i < 10; i++) {
          const candidate = this.drawId();
          if (!(await repo.find(candidate))) id = candidate;
        }
        await repo.insert({ miniProgramId: id!, name, createdAt: now });
        await new AuditRepository(trx).record({
          actor: actor.actor,
          action: 'mini-program.created',
          target: `mini-program:${id}`,
          details: { name },
        });
        return { miniProgramId: id!, name, releasedVersion: null, rollout: null, authorizedHostApps: 0, createdAt: now, updatedAt: now };
      });
    } catch (err) {
      throw isUniqueViolation(err) ? exists(input.miniProgramId ?? '') : err;
    }
  }

  async listPackages(id: string): Promise<Package[]> {
    const repo = new MiniProgramRepository(this.db);
    const mp = await repo.find(id);
    if (!mp) throw notFound(`The mini program ${id}`);
    return (await repo.listPackages(id)).map((p) => toPackage(p, mp.releasedVersion));
  }

  /**
   * Adds a package version. Checked in full (the mini program exists, the version is new, the zip has an app.json)
   * before the file enters the store and the row is written; on any failure the upload is discarded.
   */
  async addPackage(id: string, upload: PackageUpload, actor: Principal): Promise<Package> {
    const version = canonicalVersion(upload.version);
    try {
      const { clientVersionMin, clientVersionMax } = upload;
      if (clientVersionMin && clientVersionMax && compareVersions(clientVersionMin, clientVersionMax) > 0) {
        throw validationFailed(
          'clientVersionMin',
          `The lowest client version (${clientVersionMin}) is above the highest (${clientVersionMax}); no client could load this package.`,
        );
      }
      const repo = new MiniProgramRepository(this.db);
      const mp = await repo.find(id);
      if (!mp) throw notFound(`The mini program ${id}`);
      // Compared as numbers: 1.0.0.01 is 1.0.0.1 (rows stored before versions were made canonical included).
      if ((await repo.listPackages(id)).some((p) => compareVersions(p.version, version) === 0)) throw versionExists(id, version);
      if (upload.file.size === 0) throw new AppError('INVALID_PACKAGE', 'The package file is empty.');
      const { mainUrl } = await inspectPackage({ size: upload.file.size, open: () => this.store.openZip(upload.file) });
      await this.store.commit(upload.file);
      const row = {
        miniProgramId: id,
        version,
        sha256: upload.file.sha256,
        size: upload.file.size,
        mainUrl,
        platform: upload.platform ?? null,
        clientVersionMin: clientVersionMin ?? null,
        clientVersionMax: clientVersionMax ?? null,
        createdAt: nowIso(),
      };
      await this.db.transaction().execute(async (trx) => {
        await new MiniProgramRepository(trx).insertPackage(row);
        await new AuditRepository(trx).record({
          actor: actor.actor,
          action: 'mini-program.package.uploaded',
          target: `mini-program:${id}`,
          details: { version, sha256: row.sha256, size: row.size },
        });
      });
      return toPackage(row, mp.releasedVersion);
    } catch (err) {
      await this.store.discard(upload.file);
      throw isUniqueViolation(err) ? versionExists(id, version) : err;
    }
  }

  async listAuthorized(workspaceId: string, appId: string): Promise<AuthorizedMiniProgram[]> {
    const app = await new HostAppRepository(this.db).find(workspaceId, appId);
    if (!app) throw hostAppNotFound(workspaceId, appId);
    return new MiniProgramRepository(this.db).listAuthorized(app.id);
  }

  async authorize(
    workspaceId: string,
    appId: string,
    id: string,
    actor: Principal,
  ): Promise<AuthorizedMiniProgram & { signing: SigningJob }> {
    const { app, mp } = await this.db.transaction().execute(async (trx) => {
      const app = await new HostAppRepository(trx).find(workspaceId, appId);
      if (!app) throw hostAppNotFound(workspaceId, appId);
      const repo = new MiniProgramRepository(trx);
      const mp = await repo.find(id);
      if (!mp) throw notFound(`The mini program ${id}`);
      if (await repo.authorize(app.id, id, nowIso())) {
        await new AuditRepository(trx).record({
          actor: actor.actor,
          action: 'mini-program.authorized',
          target: hostAppTarget(workspaceId, appId),
          details: { miniProgramId: id },
        });
      }
      return { app, mp };
    });
    const signing = await this.signer.signMissing(
      { hostAppId: app.id, miniProgramId: id },
      {
        code: 'authorise',
        params: { miniProgramId: id, appId, workspaceId },
      },
    );
    await this.changes.publish({ kind: 'host-app-gate', workspaceId, appId });
    const authorized = (await new MiniProgramRepository(this.db).findAuthorized(app.id, mp.miniProgramId))!;
    return { ...authorized, signing };
  }

  async revoke(workspaceId: string, appId: string, id: string, actor: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const app = await new HostAppRepository(trx).find(workspaceId, appId);
      if (!app) throw hostAppNotFound(workspaceId, appId);
      if (!(await new MiniProgramRepository(trx).revoke(app.id, id)))
        throw notFound(`An authorisation of the mini program ${id} for ${appId}`);
      await new AuditRepository(trx).record({
        actor: actor.actor,
        action: 'mini-program.revoked',
        target: hostAppTarget(workspaceId, appId),
        details: { miniProgramId: id },
      });
    });
    await this.changes.publish({ kind: 'host-app-gate', workspaceId, appId });
  }
}

const exists = (id: string) =>
  new AppError('MINI_PROGRAM_EXISTS', `A mini program with the ID ${id} already exists.`, { params: { miniProgramId: id } });
const versionExists = (id: string, version: string) =>
  new AppError('VERSION_EXISTS', `Version ${version} of the mini program ${id} already exists; upload a higher version.`, {
    params: { version, miniProgramId: id },
  });

function toPackage(p: Omit<PackageRow, 'platform'> & { platform: string | null }, releasedVersion: string | null): Package {
  return {
    version: p.version,
    sha256: p.sha256,
    size: Number(p.size),
    mainUrl: p.mainUrl,
    status: p.version === releasedVersion ? 'released' : 'uploaded',
    platform: (p.platform as Package['platform']) ?? null,
    clientVersionMin: p.clientVersionMin,
    clientVersionMax: p.clientVersionMax,
    createdAt: p.createdAt,
  };
}
