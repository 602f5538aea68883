import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Executor } from '../../db/executor.js';
import {
  type AuthorizedMiniProgram,
  type MiniProgram,
  type MiniProgramRollout,
  NAME_MAX,
  type Package,
  PLATFORM_ORG_ID,
  type Review,
  type SigningJob,
  type SigningReasonCode,
} from '@mpop/contracts';
import type { Database, MiniProgramPackagesTable, ReleaseState } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/connect.js';
import { AppError, notFound, validationFailed } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { cleanName, nameKey } from '../../lib/names.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from '../auth/auth.service.js';
import { GenerationRepository } from '../host-apps/generation.repository.js';
import { HostAppRepository } from '../host-apps/host-app.repository.js';
import { hostAppNotFound, hostAppTarget } from '../host-apps/host-app.service.js';
import type { PackageStore, ReceivedFile } from './package-store.js';
import { MiniProgramRepository } from './mini-program.repository.js';
import { canonicalVersion, compareVersions } from './versions.js';
import { drawMiniProgramId, isReservedMiniProgramId } from './mini-program-id.js';
import { inspectPackageDetails } from './zip-inspect.js';
import { AssociationRepository } from '../host-apps/association.repository.js';
import { OrganisationRepository } from '../organisations/organisation.repository.js';
import { requireNotSuspended, requireOrgAccess, visibleOrgIds } from '../organisations/org-access.js';
import { changesSince, runChecks } from './package-checks.js';
import { ReviewRepository } from './review.repository.js';
import { checkReleaseSignature } from '../release-keys/release-key.service.js';
import { ReleaseKeyRepository } from '../release-keys/release-key.repository.js';

export interface PackageUpload {
  version: string;
  platform?: string;
  clientVersionMin?: string;
  clientVersionMax?: string;
  /** Base64 signature by a release key of the mini program's organisation (required once it has one). */
  releaseSignature?: string;
  file: ReceivedFile;
}

/**
 * What authorising a mini program asks of the signer: make the signatures the new binding lacks. The signer
 * (`modules/signing/package-signer.ts`) reads packages from this module's store, so this module names only the
 * one method it needs instead of importing the signer (the two folders would import each other).
 */
export interface MissingSignatures {
  /** In the change's transaction: records that its signatures are to be made (a stop before they are is resumed). */
  markPending(trx: Executor, scope: { hostAppId?: number; miniProgramId?: string }): Promise<string>;
  signMissing(
    scope: { hostAppId?: number; miniProgramId?: string },
    why: { code: SigningReasonCode; params?: Record<string, string> },
    options?: {
      pending?: string;
      /** Called with the host apps the job signs for, before it signs (see package-signer.ts Announce). */
      announce?: (hostApps: [workspaceId: string, appId: string][]) => Promise<void>;
    },
  ): Promise<SigningJob>;
  /**
   * Signs a version that may now be released (uploaded where no review is required, or approved) for every
   * authorised host app, in the background, so that its release needs only the manifests signed.
   */
  prepare(miniProgramId: string, version: string, why: { code: 'prepare'; params: Record<string, string> }): Promise<void>;
}

/** Starts signing a version ahead of its release (MissingSignatures.prepare) without waiting for it. */
export function signAhead(signer: Pick<MissingSignatures, 'prepare'>, miniProgramId: string, version: string): void {
  void signer.prepare(miniProgramId, version, { code: 'prepare', params: { miniProgramId, version } });
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
    /** MPOP_MAX_PACKAGE_BYTES: the size check warns close to it. */
    private readonly maxPackageBytes: number,
    /** Draws a free-to-try mini program ID (never a reserved one); tests may script it. */
    private readonly drawId: () => string = drawMiniProgramId,
    /** Tells a rollout from a full release (the release rules live in `modules/releases`). */
    private readonly rollouts: RolloutReader = { rolloutOf: () => null },
  ) {}

  /** Platform roles see every mini program; members their organisations' only. `orgId` narrows to one. */
  async list(principal: Principal, orgId?: string, query?: string): Promise<MiniProgram[]> {
    let rows = await new MiniProgramRepository(this.db).list({ orgId, orgIds: visibleOrgIds(principal) });
    // The list is not paged (an installation holds tens to hundreds), so the search reads the names it already has.
    const text = query?.trim();
    if (text) {
      const key = nameKey(text);
      rows = rows.filter((m) => m.miniProgramId === text || nameKey(m.name).includes(key));
    }
    return rows.map((row) => {
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

  /**
   * Registers a mini program in an organisation: operators in any, developers in their own. Left out, the
   * organisation is `platform` for platform roles, or the member's only organisation.
   */
  async create(input: { name: string; miniProgramId?: string; orgId?: string }, actor: Principal): Promise<MiniProgram> {
    const name = cleanName(input.name, { field: 'name', label: 'The mini program name', max: NAME_MAX });
    const orgId = input.orgId ?? defaultOrg(actor);
    requireOrgAccess(actor, orgId, { platform: 'operator', org: 'developer' }, `The organisation "${orgId}"`);
    if (input.miniProgramId && isReservedMiniProgramId(input.miniProgramId)) {
      throw validationFailed('miniProgramId', 'IDs starting with 666 or 20000 are reserved; choose another or leave it out.');
    }
    const now = nowIso();
    try {
      return await this.db.transaction().execute(async (trx) => {
        const orgs = new OrganisationRepository(trx);
        if (orgId === PLATFORM_ORG_ID) await orgs.ensurePlatform(now);
        if (!(await orgs.find(orgId))) throw notFound(`The organisation "${orgId}"`);
        const repo = new MiniProgramRepository(trx);
        let id = input.miniProgramId;
        if (id && (await repo.find(id))) throw exists(id);
        for (let i = 0; !id && i < 10; i++) {
          const candidate = this.drawId();
          if (!(await repo.find(candidate))) id = candidate;
        }
        await repo.insert({ miniProgramId: id!, name, orgId, createdAt: now });
        await new AuditRepository(trx).record({
          actor: actor.actor,
          address: actor.address,
          action: 'mini-program.created',
          target: `mini-program:${id}`,
          details: { name, orgId },
        });
        return {
          miniProgramId: id!,
          name,
          orgId,
          releasedVersion: null,
          rollout: null,
          authorizedHostApps: 0,
          createdAt: now,
          updatedAt: now,
        };
      });
    } catch (err) {
      throw isUniqueViolation(err) ? exists(input.miniProgramId ?? '') : err;
    }
  }

  async listPackages(id: string): Promise<Package[]> {
    const repo = new MiniProgramRepository(this.db);
    const mp = await repo.find(id);
    if (!mp) throw notFound(`The mini program ${id}`);
    const reviews = await new ReviewRepository(this.db).forMiniProgram(id);
    const keys = new Set((await new ReleaseKeyRepository(this.db).list(mp.orgId)).map((k) => k.fingerprintSha256));
    return (await repo.listPackages(id)).map((p) => toPackage(p, mp.releasedVersion, reviews.get(p.version) ?? draftWithoutChecks(), keys));
  }

  /**
   * Adds a package version. Checked in full (the mini program exists, its organisation is not suspended, the
   * version is new, the zip is safe and has an app.json) before the file enters the store and the row is written;
   * on any failure the upload is discarded. The automatic checks and the change since the version released last
   * are kept with the version, in a draft review.
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
      const org = await new OrganisationRepository(this.db).forMiniProgram(id);
      if (org) requireNotSuspended(org, 'upload packages');
      // Compared as numbers: 1.0.0.01 is 1.0.0.1 (rows stored before versions were made canonical included).
      if ((await repo.listPackages(id)).some((p) => compareVersions(p.version, version) === 0)) throw versionExists(id, version);
      if (upload.file.size === 0) throw new AppError('INVALID_PACKAGE', 'The package file is empty.');
      // Before anything is inspected or stored: a package its organisation did not sign goes no further.
      const signed = await checkReleaseSignature(this.db, {
        orgId: mp.orgId,
        miniProgramId: id,
        version,
        sha256: upload.file.sha256,
        releaseSignature: upload.releaseSignature,
      });
      const details = await inspectPackageDetails({ size: upload.file.size, open: () => this.store.openZip(upload.file) });
      const { mainUrl } = details;
      const { checks, manifest } = runChecks(details, upload.file.size, this.maxPackageBytes);
      const changes = changesSince(await this.lastReleased(id), manifest);
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
        releaseSignature: signed?.releaseSignature ?? null,
        releaseKeyFingerprint: signed?.releaseKeyFingerprint ?? null,
      };
      await this.db.transaction().execute(async (trx) => {
        await new MiniProgramRepository(trx).insertPackage(row);
        await new ReviewRepository(trx).insert({ miniProgramId: id, version, checks, changes, manifest, at: row.createdAt });
        await new AuditRepository(trx).record({
          actor: actor.actor,
          address: actor.address,
          action: 'mini-program.package.uploaded',
          target: `mini-program:${id}`,
          details: {
            version,
            sha256: row.sha256,
            size: row.size,
            checksFailed: checks.filter((c) => c.outcome === 'fail').length,
            ...(signed ? { releaseKeyFingerprint: signed.releaseKeyFingerprint } : {}),
          },
        });
      });
      // Released without review: its package and binding signatures are made now, while nobody waits for them.
      if (!org || Number(org.reviewRequired) !== 1) signAhead(this.signer, id, version);
      const keys = new Set(signed ? [signed.releaseKeyFingerprint] : []);
      return toPackage(row, mp.releasedVersion, { ...draftWithoutChecks(), checks, changes }, keys);
    } catch (err) {
      await this.store.discard(upload.file);
      throw isUniqueViolation(err) ? versionExists(id, version) : err;
    }
  }

  /** The version released last (the current release's, else the newest release's), with its size and manifest. */
  private async lastReleased(id: string) {
    const version = await new MiniProgramRepository(this.db).lastReleasedVersion(id);
    if (!version) return undefined;
    const pkg = await new MiniProgramRepository(this.db).findPackage(id, version);
    if (!pkg) return undefined;
    const manifest = (await new ReviewRepository(this.db).manifest(id, version)) ?? null;
    return { version, size: Number(pkg.size), manifest };
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
    const { app, mp, pending } = await this.db.transaction().execute(async (trx) => {
      const app = await new HostAppRepository(trx).find(workspaceId, appId);
      if (!app) throw hostAppNotFound(workspaceId, appId);
      const repo = new MiniProgramRepository(trx);
      const mp = await repo.find(id);
      if (!mp) throw notFound(`The mini program ${id}`);
      // A direct authorisation shows as an approved association (approving a pending request, if there is one).
      await approveDirectly(trx, id, workspaceId, appId, actor.username);
      if (await repo.authorize(app.id, id, nowIso())) {
        await new AuditRepository(trx).record({
          actor: actor.actor,
          address: actor.address,
          action: 'mini-program.authorized',
          target: hostAppTarget(workspaceId, appId),
          details: { miniProgramId: id },
        });
        await new GenerationRepository(trx).raiseHostApps([app.id]);
      }
      return { app, mp, pending: await this.signer.markPending(trx, { hostAppId: app.id, miniProgramId: id }) };
    });
    const signing = await this.signer.signMissing(
      { hostAppId: app.id, miniProgramId: id },
      {
        code: 'authorise',
        params: { miniProgramId: id, appId, workspaceId },
      },
      { pending },
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
      const open = await new AssociationRepository(trx).findOpen(id, workspaceId, appId);
      if (open)
        await new AssociationRepository(trx).transition(open.associationId, ['pending', 'approved'], {
          state: 'revoked',
          decidedBy: actor.username,
          decidedAt: nowIso(),
        });
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'mini-program.revoked',
        target: hostAppTarget(workspaceId, appId),
        details: { miniProgramId: id },
      });
      await new GenerationRepository(trx).raiseHostApps([app.id]);
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

/** The organisation a mini program goes to when the request names none. */
function defaultOrg(actor: Principal): string {
  if (actor.role !== null) return PLATFORM_ORG_ID;
  const mine = actor.memberships;
  if (mine.length === 1) return mine[0].orgId;
  throw validationFailed(
    'orgId',
    mine.length === 0
      ? 'you belong to no organisation; ask an admin to add you to one'
      : `name the organisation: one of ${mine.map((m) => m.orgId).join(', ')}`,
  );
}

/** Makes a direct authorisation an approved association: a pending request is approved, else one is recorded. */
async function approveDirectly(trx: Executor, id: string, workspaceId: string, appId: string, by: string) {
  const associations = new AssociationRepository(trx);
  const open = await associations.findOpen(id, workspaceId, appId);
  const at = nowIso();
  if (open?.state === 'approved') return;
  if (open) {
    await associations.transition(open.associationId, ['pending'], { state: 'approved', decidedBy: by, decidedAt: at });
    return;
  }
  await associations.insert({
    associationId: randomUUID(),
    miniProgramId: id,
    workspaceId,
    appId,
    state: 'approved',
    note: null,
    reason: null,
    requestedBy: by,
    requestedAt: at,
    decidedBy: by,
    decidedAt: at,
  });
}

/** The review of a version that has none recorded (cannot happen after 0010; kept total for safety). */
const draftWithoutChecks = (): Review => ({
  state: 'draft',
  submittedBy: null,
  submittedAt: null,
  decidedBy: null,
  decidedAt: null,
  note: null,
  reason: null,
  checks: [],
  changes: { fromVersion: null, filesAdded: [], filesRemoved: [], filesChanged: [], sizeDelta: 0, permissionsAdded: [], domainsAdded: [] },
});

/** `releaseKeys`: the fingerprints of the organisation's current release keys. */
function toPackage(
  p: Omit<PackageRow, 'platform'> & { platform: string | null },
  releasedVersion: string | null,
  review: Review,
  releaseKeys: ReadonlySet<string>,
): Package {
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
    review,
    releaseKey: p.releaseKeyFingerprint
      ? { fingerprintSha256: p.releaseKeyFingerprint, registered: releaseKeys.has(p.releaseKeyFingerprint) }
      : null,
  };
}
