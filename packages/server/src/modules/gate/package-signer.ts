import fs from 'node:fs';
import { createPrivateKey, createSign, randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { SigningJob } from '@mpop/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import type { SecretBox } from '../../lib/crypto.js';
import { nowIso } from '../../lib/time.js';
import { keyAad } from '../host-apps/host-app.service.js';
import type { PackageStore } from '../mini-programs/package-store.js';

export type { SigningJob };

/** Fan-outs up to this many signatures are made before the change answers; larger ones in the background. */
export const INLINE_SIGNATURES = 20;

/**
 * Makes the RSA-SHA256 signatures the client API hands out, when something changes (a release, an authorisation,
 * a key upload), so the hot path only looks them up. Signatures are keyed by (key fingerprint, package SHA-256):
 * a signature depends only on the key and the bytes.
 */
export class PackageSigner {
  private readonly jobs = new Map<string, SigningJob>();

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

  /** Signs every missing (key, released authorised package) pair within the scope. */
  async reconcile(scope: { hostAppId?: number; miniProgramId?: string }, reason: string): Promise<SigningJob> {
    await this.collectGarbage();
    const missing = await this.missing(scope);
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

  private async run(job: SigningJob, missing: Awaited<ReturnType<PackageSigner['missing']>>) {
    const keys = new Map<string, ReturnType<typeof createPrivateKey>>();
    let step: { what: 'key' | 'package' | 'store'; pair?: (typeof missing)[number] } = { what: 'store' };
    try {
      for (const pair of missing) {
        let key = keys.get(pair.keyFingerprint);
        if (!key) {
          step = { what: 'key', pair };
          key = createPrivateKey(this.box.open(pair.privateKeySealed, keyAad(pair.workspaceId, pair.appId)).toString('utf8'));
          keys.set(pair.keyFingerprint, key);
        }
        step = { what: 'package', pair };
        const signer = createSign('sha256');
        await pipeline(fs.createReadStream(this.store.pathFor(pair.sha256)), signer);
        step = { what: 'store', pair };
        const signature = signer.sign(key, 'base64');
        await this.db
          .insertInto('packageSignatures')
          .values({ keyFingerprint: pair.keyFingerprint, sha256: pair.sha256, signature, createdAt: nowIso() })
          .onConflict((oc) => oc.columns(['keyFingerprint', 'sha256']).doNothing())
          .execute();
        job.done++;
      }
      job.status = 'done';
    } catch (err) {
      job.status = 'failed';
      job.error = failureReason(step, err);
      this.log.error({ err: { message: (err as Error).message }, job: job.id }, 'signing job failed');
    } finally {
      job.finishedAt = nowIso();
      keys.clear();
      // Answers cached before the signatures existed left these packages out: rebuild them everywhere.
      if (job.total > 0) await this.changes.publish({ kind: 'mini-programs' });
    }
  }

  private async missing(scope: { hostAppId?: number; miniProgramId?: string }) {
    let q = this.db
      .selectFrom('hostAppMiniPrograms as am')
      .innerJoin('hostApps as ha', 'ha.id', 'am.hostAppId')
      .innerJoin('devConfigs as dc', 'dc.hostAppId', 'ha.id')
      .innerJoin('miniPrograms as mp', 'mp.miniProgramId', 'am.miniProgramId')
      .innerJoin('miniProgramPackages as p', (j) =>
        j.onRef('p.miniProgramId', '=', 'mp.miniProgramId').onRef('p.version', '=', 'mp.releasedVersion'),
      )
      .leftJoin('packageSignatures as s', (j) => j.onRef('s.keyFingerprint', '=', 'dc.keyFingerprint').onRef('s.sha256', '=', 'p.sha256'))
      .select(['dc.keyFingerprint', 'dc.privateKeySealed', 'ha.appId', 'ha.workspaceId', 'p.sha256'])
      .where('s.signature', 'is', null);
    if (scope.hostAppId !== undefined) q = q.where('ha.id', '=', scope.hostAppId);
    if (scope.miniProgramId !== undefined) q = q.where('mp.miniProgramId', '=', scope.miniProgramId);
    const rows = await q.execute();
    const seen = new Set<string>();
    return rows.filter((r) => {
      const k = `${r.keyFingerprint}:${r.sha256}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  /** Signatures of keys no host app uses any more (deleted, rotated) are dropped. */
  private async collectGarbage() {
    await this.db
      .deleteFrom('packageSignatures')
      .where('keyFingerprint', 'not in', this.db.selectFrom('devConfigs').select('keyFingerprint'))
      .execute();
  }

  private remember(job: SigningJob) {
    this.jobs.set(job.id, job);
    while (this.jobs.size > 50) this.jobs.delete(this.jobs.keys().next().value!);
  }
}

/** Why a signing job failed, in a sentence an operator can act on; never key material or a stack trace. */
function failureReason(
  step: { what: 'key' | 'package' | 'store'; pair?: { workspaceId: string; appId: string; sha256: string } },
  err: unknown,
) {
  const { what, pair } = step;
  if (what === 'key' && pair) {
    return `The private key of host app ${pair.workspaceId}/${pair.appId} could not be opened (was the master key changed?); upload its key again.`;
  }
  if (what === 'package' && pair && (err as NodeJS.ErrnoException).code === 'ENOENT') {
    return `The package file ${pair.sha256.slice(0, 12)}… is missing from the package store; restore it or upload that version again.`;
  }
  if (what === 'package' && pair) return `The package file ${pair.sha256.slice(0, 12)}… could not be read; check the package store.`;
  return 'The signatures could not be saved; check that the database is reachable, then retry.';
}
