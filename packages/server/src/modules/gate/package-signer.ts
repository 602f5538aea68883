import { createPrivateKey, type KeyObject, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { SigningJob } from '@mpop/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import type { SecretBox } from '../../lib/crypto.js';
import { nowIso } from '../../lib/time.js';
import { keyAad } from '../host-apps/host-app.service.js';
import type { PackageStore } from '../mini-programs/package-store.js';
import { bindingText, rsaSha256Sign } from './rsa-sign.js';
import { SignatureRepository, type SigningWork } from './signature.repository.js';

// The shape of a job is public (GET /api/v1/signing-jobs): it lives in the contract.
export type { SigningJob };

/** Fan-outs up to this many signatures are made before the change answers; larger ones in the background. */
export const INLINE_SIGNATURES = 20;

/**
 * Makes the RSA-SHA256 signatures the client API hands out, when something changes (a release, an authorisation,
 * a key upload), so the hot path only looks them up. A package signature is keyed by (key fingerprint, package
 * SHA-256): it depends only on the key and the bytes. A binding signature is keyed by (host app, mini program,
 * version, key): it ties the package to them. A failure is recorded with its reason (shown on the release) and the
 * gate keeps serving what it served before; the next attempt (any change, or a restart) tries again.
 */
export class PackageSigner {
  private readonly jobs = new Map<string, SigningJob>();
  /** Told about every signature made and every job that failed (metrics). */
  observer: { signed(): void; failed(): void } = { signed() {}, failed() {} };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly store: PackageStore,
    private readonly changes: ChangeBus,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Recent jobs, newest first (this process's; each instance signs the changes it received). */
  list(): SigningJob[] {
    return [...this.jobs.values()].reverse();
  }

  /** Signs every missing package and binding signature the gate may need within the scope. */
  async signMissing(scope: { hostAppId?: number; miniProgramId?: string }, reason: string): Promise<SigningJob> {
    const repo = new SignatureRepository(this.db);
    await repo.deleteUnusedKeys();
    const missing = await repo.missing(scope);
    const job: SigningJob = {
      id: randomUUID(),
      status: 'running',
      reason,
      total: missing.length,
      done: 0,
      startedAt: nowIso(),
      finishedAt: null,
      error: null,
    };
    this.remember(job);
    const run = this.run(job, missing);
    if (missing.length <= INLINE_SIGNATURES) await run;
    else void run;
    return job;
  }

  private async run(job: SigningJob, missing: SigningWork[]) {
    const repo = new SignatureRepository(this.db);
    const keys = new Map<string, KeyObject>();
    const signedPackages = new Set<string>();
    try {
      for (const work of missing) {
        try {
          await this.sign(work, keys, signedPackages, repo);
          job.done++;
          this.observer.signed();
        } catch (err) {
          this.observer.failed();
          const reason = failureReason(err, work);
          job.status = 'failed';
          job.error ??= reason;
          this.log.error({ err: { message: (err as Error).message }, job: job.id, sha256: work.sha256 }, 'signing failed');
          await repo
            .recordFailure({ keyFingerprint: work.keyFingerprint, sha256: work.sha256, reason, failedAt: nowIso() })
            .catch(() => undefined);
        }
      }
      if (job.status === 'running') job.status = 'done';
    } finally {
      job.finishedAt = nowIso();
      keys.clear();
      // Answers cached before the signatures existed left these packages out: rebuild them everywhere.
      if (job.done > 0) await this.changes.publish({ kind: 'all-gate-views' });
    }
  }

  private async sign(work: SigningWork, keys: Map<string, KeyObject>, signedPackages: Set<string>, repo: SignatureRepository) {
    let key = keys.get(work.keyFingerprint);
    if (!key) {
      key = openKey(this.box, work);
      keys.set(work.keyFingerprint, key);
    }
    const packageKey = `${work.keyFingerprint}:${work.sha256}`;
    if (!work.packageSigned && !signedPackages.has(packageKey)) {
      const signature = await rsaSha256Sign(key, { file: this.store.pathFor(work.sha256) });
      await repo.insertPackageSignature({ keyFingerprint: work.keyFingerprint, sha256: work.sha256, signature, createdAt: nowIso() });
      signedPackages.add(packageKey);
    }
    const binding = await rsaSha256Sign(key, { text: bindingText(work) });
    await repo.insertBindingSignature({
      hostAppId: work.hostAppId,
      miniProgramId: work.miniProgramId,
      version: work.version,
      keyFingerprint: work.keyFingerprint,
      sha256: work.sha256,
      signature: binding,
      createdAt: nowIso(),
    });
    await repo.clearFailure(work.keyFingerprint, work.sha256);
  }

  private remember(job: SigningJob) {
    this.jobs.set(job.id, job);
    while (this.jobs.size > 50) this.jobs.delete(this.jobs.keys().next().value!);
  }
}

class KeyUnusable extends Error {}

function openKey(box: SecretBox, work: SigningWork): KeyObject {
  try {
    return createPrivateKey(box.open(work.privateKeySealed, keyAad(work.workspaceId, work.appId)).toString('utf8'));
  } catch (err) {
    throw new KeyUnusable((err as Error).message);
  }
}

/** A sentence an operator can act on; never key material or a stack trace. */
function failureReason(err: unknown, work: SigningWork): string {
  if (err instanceof KeyUnusable) {
    return `The private key of host app ${work.appId} (workspace ${work.workspaceId}) could not be opened with the master key; upload the key again or restore MPOP_MASTER_KEY.`;
  }
  if ((err as { code?: string }).code === 'ENOENT') {
    return `The package file of version ${work.version} is missing from this instance's package store; put the packages on storage every instance shares, or upload the version again.`;
  }
  return `Signing version ${work.version} for host app ${work.appId} failed; the details are in the server log.`;
}
