import type { Kysely } from 'kysely';
import { PLATFORM_ORG_ID, type ReleaseKey, releaseMessage } from '@mpop/contracts';
import type { Database, ReleaseKeysTable } from '../../db/schema.js';
import type { Executor } from '../../db/executor.js';
import { isUniqueViolation } from '../../db/connect.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from '../auth/auth.service.js';
import { OrganisationRepository } from '../organisations/organisation.repository.js';
import { orgTarget } from '../organisations/organisation.service.js';
import { inspectReleaseKey, verifyRelease } from './release-key.js';
import { ReleaseKeyRepository } from './release-key.repository.js';

const toReleaseKey = (k: ReleaseKeysTable): ReleaseKey => ({
  fingerprintSha256: k.fingerprintSha256,
  algorithm: k.algorithm,
  bits: Number(k.bits),
  publicKeyPem: k.publicKeyPem,
  createdAt: k.createdAt,
  createdBy: k.createdBy,
});

const orgNotFound = (orgId: string) => notFound(`The organisation "${orgId}"`);

/** Release keys of organisations: owners (and platform admins) register and remove them; the route checks roles. */
export class ReleaseKeyService {
  constructor(private readonly db: Kysely<Database>) {}

  async list(orgId: string): Promise<ReleaseKey[]> {
    if (!(await new OrganisationRepository(this.db).find(orgId))) throw orgNotFound(orgId);
    return (await new ReleaseKeyRepository(this.db).list(orgId)).map(toReleaseKey);
  }

  /** Registers a public key; from then on every upload of the organisation's mini programs must be signed. */
  async add(orgId: string, pem: string, principal: Principal): Promise<ReleaseKey> {
    const key = inspectReleaseKey(pem);
    const now = nowIso();
    try {
      return await this.db.transaction().execute(async (trx) => {
        const orgs = new OrganisationRepository(trx);
        if (orgId === PLATFORM_ORG_ID) await orgs.ensurePlatform(now);
        if (!(await orgs.find(orgId))) throw orgNotFound(orgId);
        const keys = new ReleaseKeyRepository(trx);
        if (await keys.find(orgId, key.fingerprintSha256)) throw exists(orgId, key.fingerprintSha256);
        const row: ReleaseKeysTable = { orgId, ...key, createdAt: now, createdBy: principal.username };
        await keys.insert(row);
        await new AuditRepository(trx).record({
          actor: principal.actor,
          address: principal.address,
          action: 'organisation.release-key.added',
          target: orgTarget(orgId),
          details: { fingerprintSha256: key.fingerprintSha256, algorithm: key.algorithm, bits: key.bits },
        });
        return toReleaseKey(row);
      });
    } catch (err) {
      throw isUniqueViolation(err) ? exists(orgId, key.fingerprintSha256) : err;
    }
  }

  /**
   * Removes a key. Versions signed with it keep their signature, but host apps whose config file no longer lists the
   * key refuse them: remove a key only once its successor has signed what must keep running.
   */
  async remove(orgId: string, fingerprintSha256: string, principal: Principal): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (!(await new OrganisationRepository(trx).find(orgId))) throw orgNotFound(orgId);
      if (!(await new ReleaseKeyRepository(trx).delete(orgId, fingerprintSha256)))
        throw notFound(`The release key ${fingerprintSha256} of the organisation "${orgId}"`);
      await new AuditRepository(trx).record({
        actor: principal.actor,
        address: principal.address,
        action: 'organisation.release-key.removed',
        target: orgTarget(orgId),
        details: { fingerprintSha256 },
      });
    });
  }
}

/** What an upload stores of its release signature. */
export interface CheckedReleaseSignature {
  releaseSignature: string;
  releaseKeyFingerprint: string;
}

/**
 * The release signature rule of an upload: an organisation with release keys accepts only a package signed by one of
 * them over `mpop-release-v1\n<miniProgramId>\n<version>\n<sha256>`; one without keys accepts none (a signature
 * nobody can check would only mislead). Throws RELEASE_SIGNATURE_INVALID; null when there is nothing to store.
 */
export async function checkReleaseSignature(
  db: Executor,
  upload: { orgId: string; miniProgramId: string; version: string; sha256: string; releaseSignature?: string },
): Promise<CheckedReleaseSignature | null> {
  const { orgId, miniProgramId, version, sha256 } = upload;
  const signature = upload.releaseSignature?.trim() || undefined;
  const keys = await new ReleaseKeyRepository(db).list(orgId);
  if (keys.length === 0) {
    if (signature === undefined) return null;
    throw refused(
      `The organisation "${orgId}" has no release key, so the release signature cannot be checked. An owner of the organisation registers the public key first (Organisations → Release keys), or leave releaseSignature out.`,
    );
  }
  if (signature === undefined) {
    throw refused(
      `The organisation "${orgId}" signs its releases: the upload needs releaseSignature, made with one of its release keys ("mpop sign --key release.key --mini-program ${miniProgramId} --version ${version} <package.zip>").`,
    );
  }
  const message = releaseMessage(miniProgramId, version, sha256);
  const key = keys.find((k) => verifyRelease(k, message, signature));
  if (!key) {
    throw refused(
      `The release signature does not verify with any of the ${keys.length} release key(s) of the organisation "${orgId}" for mini program ${miniProgramId}, version ${version} and the uploaded file (SHA-256 ${sha256}). Sign exactly this file, mini program and version with "mpop sign".`,
    );
  }
  return { releaseSignature: signature.replace(/\s+/g, ''), releaseKeyFingerprint: key.fingerprintSha256 };
}

const refused = (detail: string) =>
  new AppError('RELEASE_SIGNATURE_INVALID', detail, { errors: [{ path: 'releaseSignature', message: detail }] });

const exists = (orgId: string, fingerprint: string) =>
  new AppError('RELEASE_KEY_EXISTS', `The organisation "${orgId}" already has the release key ${fingerprint}.`, {
    params: { orgId, fingerprintSha256: fingerprint },
  });
