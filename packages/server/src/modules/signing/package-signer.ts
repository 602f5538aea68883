import { createHash, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { SigningFailureCode, SigningJob, SigningReasonCode } from '@mpop/contracts';
import type { Kysely } from 'kysely';
import type { Executor } from '../../db/executor.js';
import type { Database } from '../../db/schema.js';
import { type Change, type ChangeBus, SIGNED_HOST_APPS_PER_CHANGE } from '../../lib/change-bus.js';
import { keyAad, type SecretBox } from '../../lib/crypto.js';
import { nowIso } from '../../lib/time.js';
import { bindingText, rsaSha256Sign } from './rsa-sign.js';
import {
  type BindingSignatureRow,
  type PackageSignatureRow,
  SignatureRepository,
  type SigningScope,
  type SigningWork,
} from './signature.repository.js';
import type { PackageStore } from '../mini-programs/package-store.js';
import { GenerationRepository } from '../host-apps/generation.repository.js';
import { type SigningPool, signingKeyId } from './signing-pool.js';

// The shape of a job is public (GET /api/v1/signing-jobs): it lives in the contract.
export type { SigningJob };

/** Fan-outs up to this many signatures are made before the change answers; larger ones in the background. */
export const INLINE_SIGNATURES = 20;
/** Work items signed at once: enough to keep every worker of the pool busy; their rows are written together. */
const SIGNING_CHUNK = 128;

/**
 * Makes the RSA-SHA256 signatures the client API hands out, when something changes (a release, an authorisation,
 * a key upload), so the hot path only looks them up. A package signature is keyed by (key fingerprint, package
 * SHA-256): it depends only on the key and the bytes. A binding signature is keyed by (host app, mini program,
 * version, key): it ties the package to them. A failure is recorded with its reason (shown on the release) and the
 * gate keeps serving what it served before; the next attempt (any change, or a restart) tries again.
 */
export class PackageSigner {
  private readonly jobs = new Map<string, SigningJob>();
  /**
   * Per mini program, the jobs signing a version ahead of its release (prepare). A job of the mini program that
   * serves (a release) stops them: it signs what they have not, and a release never waits for them.
   */
  private readonly preparing = new Map<string, Set<{ stopped: boolean }>>();
  /** Told about every signature made and every job that failed (metrics). */
  observer: { signed(): void; failed(): void } = { signed() {}, failed() {} };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
    private readonly pool: SigningPool,
    /**
     * Read once per package and job: a package is signed only when the store has it (a signature for a file no
     * instance can serve would be handed out) and its bytes still have the SHA-256 recorded at upload (the signature
     * vouches for that digest: a file replaced in the store, or by a doctored restore, is never signed).
     */
    private readonly store: PackageStore,
    private readonly changes: ChangeBus,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Recent jobs, newest first (this process's; each instance signs the changes it received). */
  list(): SigningJob[] {
    return [...this.jobs.values()].reverse();
  }

  /**
   * Records, in the transaction of a change that needs signatures, that they are to be made: the row commits with the
   * change, so a process that stops after the commit and before the job has made them (or even started) leaves it
   * for the next start to resume. @returns its id, for `signMissing` (`pending`).
   */
  async markPending(trx: Executor, scope: SigningScope): Promise<string> {
    const id = randomUUID();
    await new SignatureRepository(trx).addPending(id, scope, nowIso());
    return id;
  }

  /**
   * Signs every missing package and binding signature the gate may need within the scope. The job is recorded as
   * pending until it has made them all, so a process that stops mid-job has the next start resume it: `pending` is
   * the row the change wrote in its own transaction (markPending), else the job writes one as it starts. `replaces`:
   * rows of unfinished jobs this one takes over (start-up). `announce`: told which host apps the job will sign for.
   */
  async signMissing(
    scope: SigningScope,
    why: SigningReason,
    { pending, replaces = [], announce }: { pending?: string; replaces?: readonly string[]; announce?: Announce } = {},
  ): Promise<SigningJob> {
    const repo = new SignatureRepository(this.db);
    const id = pending ?? randomUUID();
    const startedAt = nowIso();
    if (!pending) await repo.addPending(id, scope, startedAt);
    await repo.dropPending(replaces);
    await repo.deleteUnusedKeys();
    // A release's job signs what the jobs signing its mini program ahead have not: they stop after their batch in
    // hand (at most that batch is signed twice). Other jobs sign other versions, and leave them be.
    if (why.code === 'release' && scope.miniProgramId !== undefined) this.stopPreparing(scope.miniProgramId);
    const missing = await repo.missing(scope);
    // The host apps of a release whose signatures exist already (made ahead of it, see prepare): nothing to sign,
    // but their answers change. Their views are kept like those signed for, and read again now, in batches, as a
    // signed batch's are, instead of dropped and read one request at a time.
    const signed = announce && scope.miniProgramId !== undefined ? await signedAlready(repo, scope.miniProgramId, missing) : [];
    if (announce) await announce([...hostAppsOf(missing), ...signed]);
    if (signed.length > 0) await this.publishSigned(signed);
    const job = startedJob(id, why, startedAt, missing.length);
    this.remember(job);
    const run = this.run(job, missing, announce !== undefined).then(() => this.settlePending(job, scope));
    if (missing.length <= INLINE_SIGNATURES) await run;
    else void run;
    return job;
  }

  /**
   * Signs a version ahead of its release: the package and binding signatures of every authorised host app with a key,
   * made in the background once the version may be released (uploaded where no review is required, or approved), so
   * that releasing it needs only each host app's manifest signed. Nothing is served differently: no host app's
   * generation moves and no gate view is dropped, since the gate serves only released versions. Best effort: what
   * it has not made when the release comes (a stopped process, a host app authorised or a key uploaded meanwhile)
   * the release's own job makes; a release of the mini program stops this job after the batch it holds, so at most
   * that batch is signed twice, and the release never waits for it.
   */
  prepare(miniProgramId: string, version: string, why: SigningReason): Promise<void> {
    const control = { stopped: false };
    const set = this.preparing.get(miniProgramId) ?? new Set<{ stopped: boolean }>();
    set.add(control);
    this.preparing.set(miniProgramId, set);
    const job = startedJob(randomUUID(), why, nowIso(), 0);
    // Listed as running from the start (before the answer to the change that started it), so that whoever waits for
    // the signing jobs to end waits for this one too.
    this.remember(job);
    return (async () => {
      try {
        const missing = await new SignatureRepository(this.db).missingForVersion(miniProgramId, version);
        // A job with nothing to sign (no host app authorised yet) leaves the list.
        if (missing.length === 0 || control.stopped) {
          this.jobs.delete(job.id);
          return;
        }
        job.total = missing.length;
        await this.run(job, missing, false, control);
      } catch (err) {
        markStopped(job);
        job.finishedAt = nowIso();
        this.log.error({ err: { message: (err as Error).message }, job: job.id }, 'signing ahead of a release failed');
      } finally {
        set.delete(control);
        if (set.size === 0 && this.preparing.get(miniProgramId) === set) this.preparing.delete(miniProgramId);
      }
    })();
  }

  /** Stops the jobs signing ahead for this mini program after their batch in hand. */
  private stopPreparing(miniProgramId: string) {
    for (const control of this.preparing.get(miniProgramId) ?? []) control.stopped = true;
  }

  /**
   * Start-up: resumes the signing jobs a stopped process left unfinished (and retries those that failed), one job per
   * scope, in the background. Reads only their few rows: start-up does no work per host app. @returns the jobs' count.
   */
  async resumePending(): Promise<number> {
    const byScope = new Map<string, { scope: SigningScope; ids: string[] }>();
    for (const { id, scope } of await new SignatureRepository(this.db).pending()) {
      const key = `${scope.hostAppId ?? ''}\n${scope.miniProgramId ?? ''}`;
      const entry = byScope.get(key) ?? { scope, ids: [] };
      entry.ids.push(id);
      byScope.set(key, entry);
    }
    for (const { scope, ids } of byScope.values()) {
      void this.signMissing(scope, { code: 'start-up' }, { replaces: ids }).catch((err) =>
        this.log.error({ err: { message: (err as Error).message } }, 'start-up signing check failed'),
      );
    }
    return byScope.size;
  }

  /** A job that made every signature leaves no pending row; one that did not keeps its row for a retry. */
  private async settlePending(job: SigningJob, scope: SigningScope) {
    const repo = new SignatureRepository(this.db);
    try {
      if (job.status === 'done') await repo.finishPending(job.id, scope, job.startedAt);
      else await repo.failPending(job.id, job.finishedAt ?? nowIso());
    } catch (err) {
      this.log.error({ err: { message: (err as Error).message }, job: job.id }, 'could not record the end of a signing job');
    }
  }

  /**
   * `kept`: the gate keeps the views of these host apps until their batch is published (see Announce). `ahead`: the
   * job signs ahead of a release (prepare), so nothing it makes is served yet (no generation to raise, nothing to
   * publish), and it stops before its next batch once `ahead.stopped` is set (it then counts what it made as its total).
   */
  private async run(job: SigningJob, missing: SigningWork[], kept: boolean, ahead?: { stopped: boolean }) {
    const serves = ahead === undefined;
    const repo = new SignatureRepository(this.db);
    const signedPackages = new Set<string>();
    // Whether each package is in the store with its recorded bytes, asked once per job.
    const seen = new Map<string, Promise<PackageState>>();
    const present = (sha256: string) => {
      let p = seen.get(sha256);
      if (!p) {
        p = this.check(sha256);
        seen.set(sha256, p);
      }
      return p;
    };
    // The next batch is handed to the signing threads before this one is written: they sign while it is written.
    const signBatch = (from: number) => {
      const chunk = missing.slice(from, from + SIGNING_CHUNK);
      return { chunk, settled: Promise.allSettled(chunk.map((work) => this.sign(work, signedPackages, present))) };
    };
    let next = missing.length > 0 ? signBatch(0) : undefined;
    try {
      for (let i = 0; i < missing.length; i += SIGNING_CHUNK) {
        // Stopped (signing ahead, and a release's job took over): the batches handed out are written, no more.
        if (!next) {
          job.total = job.done;
          break;
        }
        const { chunk, settled } = next;
        const outcomes = await settled;
        next = i + SIGNING_CHUNK < missing.length && !ahead?.stopped ? signBatch(i + SIGNING_CHUNK) : undefined;
        const packages: PackageSignatureRow[] = [];
        const bindings: BindingSignatureRow[] = [];
        for (const [j, outcome] of outcomes.entries()) {
          if (outcome.status === 'fulfilled') {
            if (outcome.value.package) packages.push(outcome.value.package);
            bindings.push(outcome.value.binding);
            continue;
          }
          this.observer.failed();
          const work = chunk[j];
          const failure = failureOf(outcome.reason, work);
          const reason = failure.text;
          job.status = 'failed';
          if (job.error === null) Object.assign(job, { error: reason, errorCode: failure.code, errorParams: failure.params });
          this.log.error({ err: { message: (outcome.reason as Error).message }, job: job.id, sha256: work.sha256 }, 'signing failed');
          await repo
            .recordFailure({ keyFingerprint: work.keyFingerprint, sha256: work.sha256, reason, failedAt: nowIso() })
            .catch(() => undefined);
        }
        await this.db.transaction().execute(async (trx) => {
          const r = new SignatureRepository(trx);
          await r.insertPackageSignatures(packages);
          await r.insertBindingSignatures(bindings);
          await r.clearFailures(bindings);
          // New signatures let the gate hand out a version it held back: those host apps' answers move on.
          if (serves) await new GenerationRepository(trx).raiseHostApps([...new Set(bindings.map((x) => x.hostAppId))]);
        });
        job.done += bindings.length;
        for (let k = 0; k < bindings.length; k++) this.observer.signed();
        // The gate answers these host apps with what was just signed (their views are read again, in one batch): those
        // that failed too, as their views may have been kept for this job.
        if (serves) await this.publishSigned(hostAppsOf(chunk));
      }
      if (job.status === 'running') job.status = 'done';
    } catch (err) {
      // Views kept for batches that were never published must not stay: this process's gate reads every view again.
      if (kept) await this.changes.publish({ kind: 'all-gate-views' }, []);
      markStopped(job);
      this.log.error({ err: { message: (err as Error).message }, job: job.id }, 'signing job failed');
    } finally {
      job.finishedAt = nowIso();
    }
  }

  /**
   * Tells every instance's gate which host apps gained signatures: this one in one change (its views read in one
   * batch), the others in changes of SIGNED_HOST_APPS_PER_CHANGE host apps (a notification's size).
   */
  private async publishSigned(all: [string, string][]) {
    const parts: Change[] = [];
    for (let i = 0; i < all.length; i += SIGNED_HOST_APPS_PER_CHANGE)
      parts.push({ kind: 'signatures-made', hostApps: all.slice(i, i + SIGNED_HOST_APPS_PER_CHANGE) });
    if (all.length > 0) await this.changes.publish({ kind: 'signatures-made', hostApps: all }, parts);
  }

  /** Whether the store holds the package, and whether its bytes hash to the name they were recorded under. */
  private async check(sha256: string): Promise<PackageState> {
    if ((await this.store.size(sha256)) === undefined) return 'missing';
    const hash = createHash('sha256');
    try {
      for await (const chunk of await this.store.read(sha256)) hash.update(chunk as Buffer);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return 'missing';
      throw err;
    }
    return hash.digest('hex') === sha256 ? 'intact' : 'altered';
  }

  /** Makes one work item's signatures (in the pool's worker threads); the caller writes them. */
  private async sign(
    work: SigningWork,
    signedPackages: Set<string>,
    present: (sha256: string) => Promise<PackageState>,
  ): Promise<{ package?: PackageSignatureRow; binding: BindingSignatureRow }> {
    const state = await present(work.sha256);
    if (state === 'missing') throw Object.assign(new Error(`package ${work.sha256} is not in the store`), { code: 'ENOENT' });
    if (state === 'altered') throw new PackageAltered(`the bytes of package ${work.sha256} in the store have another SHA-256`);
    // Opened (and parsed) only by a signing thread that does not hold this host app's key yet.
    const pem = { id: signingKeyId(work.hostAppId, work.keyFingerprint), open: () => openKey(this.box, work) };
    const packageKey = `${work.keyFingerprint}:${work.sha256}`;
    const needsPackage = !work.packageSigned && !signedPackages.has(packageKey);
    if (needsPackage) signedPackages.add(packageKey);
    const [packageSignature, binding] = await Promise.all([
      needsPackage ? rsaSha256Sign(this.pool, pem, { sha256: work.sha256 }) : undefined,
      rsaSha256Sign(this.pool, pem, { text: bindingText(work) }),
    ]);
    const createdAt = nowIso();
    const { hostAppId, miniProgramId, version, keyFingerprint, sha256 } = work;
    return {
      package: packageSignature === undefined ? undefined : { keyFingerprint, sha256, signature: packageSignature, createdAt },
      binding: { hostAppId, miniProgramId, version, keyFingerprint, sha256, signature: binding, createdAt },
    };
  }

  private remember(job: SigningJob) {
    this.jobs.set(job.id, job);
    while (this.jobs.size > 50) this.jobs.delete(this.jobs.keys().next().value!);
  }
}

/**
 * Publishes the change a job's signatures complete, once the job knows which host apps it signs for (`hostApps`)
 * and before it signs: a release's change, in which this process's gate keeps those host apps' views (what they
 * serve until the new version is signed for them) and reads each once, when its batch is published.
 */
export type Announce = (hostApps: [workspaceId: string, appId: string][]) => Promise<void>;

/** A job as it starts: running, nothing made yet. */
function startedJob(id: string, why: SigningReason, startedAt: string, total: number): SigningJob {
  return {
    id,
    status: 'running',
    reason: reasonText(why),
    reasonCode: why.code,
    reasonParams: why.params ?? {},
    total,
    done: 0,
    startedAt,
    finishedAt: null,
    error: null,
    errorCode: null,
    errorParams: {},
  };
}

/** A job that stopped on an error (its details in the server log), unless it already says why it failed. */
function markStopped(job: SigningJob) {
  job.status = 'failed';
  if (job.error === null)
    Object.assign(job, { error: 'Signing stopped; the details are in the server log.', errorCode: 'stopped', errorParams: {} });
}

/** The host apps with a key the mini program is authorised for that are not in `missing` (their signatures exist). */
async function signedAlready(repo: SignatureRepository, miniProgramId: string, missing: readonly SigningWork[]) {
  const signing = new Set(missing.map((w) => `${w.workspaceId}\n${w.appId}`));
  return (await repo.configuredHostApps(miniProgramId)).filter(([workspaceId, appId]) => !signing.has(`${workspaceId}\n${appId}`));
}

/** The distinct host apps of some work, as `[workspaceId, appId]`. */
function hostAppsOf(work: readonly SigningWork[]): [string, string][] {
  const hostApps = new Map<string, [string, string]>();
  for (const w of work) hostApps.set(`${w.workspaceId}\n${w.appId}`, [w.workspaceId, w.appId]);
  return [...hostApps.values()];
}

class KeyUnusable extends Error {}
class PackageAltered extends Error {}
type PackageState = 'intact' | 'missing' | 'altered';

/** The host app's private key as PEM (parsed, once per key, in a signing thread, which keeps it). */
function openKey(box: SecretBox, work: SigningWork): string {
  try {
    return box.open(work.privateKeySealed, keyAad(work.workspaceId, work.appId)).toString('utf8');
  } catch (err) {
    throw new KeyUnusable((err as Error).message);
  }
}

/** A sentence an operator can act on; never key material or a stack trace. */
/** What started a signing job: a code and its specifics (the console says it in the user's language). */
export interface SigningReason {
  code: SigningReasonCode;
  params?: Record<string, string>;
}

/** The English words of a reason, as the jobs list and the logs show it. */
function reasonText({ code, params = {} }: SigningReason): string {
  switch (code) {
    case 'release':
      return `release ${params.miniProgramId} ${params.version}`;
    case 'rollout':
      return `rollout ${params.miniProgramId}`;
    case 'roll-back':
      return `roll back ${params.miniProgramId} to ${params.version}`;
    case 'authorise':
      return `authorise ${params.miniProgramId} for ${params.appId}`;
    case 'approve-association':
      return `approve association ${params.associationId}`;
    case 'key-uploaded':
      return 'key uploaded';
    case 'start-up':
      return 'start-up check';
    case 'retry':
      return `retry by ${params.username}`;
    case 'prepare':
      return `sign ahead ${params.miniProgramId} ${params.version}`;
  }
}

/** Why signing one package failed: a code and its specifics (for clients in other languages) and the English sentence. */
function failureOf(err: unknown, work: SigningWork): { code: SigningFailureCode; params: Record<string, string>; text: string } {
  const host = { appId: work.appId, workspaceId: work.workspaceId };
  if (err instanceof KeyUnusable) {
    return {
      code: 'key-unusable',
      params: host,
      text: `The private key of host app ${work.appId} (workspace ${work.workspaceId}) could not be opened with the master key; upload the key again or restore MPOP_MASTER_KEY.`,
    };
  }
  if (err instanceof PackageAltered) {
    return {
      code: 'package-altered',
      params: { version: work.version, sha256: work.sha256 },
      text: `The package file of version ${work.version} in the package store does not have the SHA-256 recorded at upload (${work.sha256}): it was changed since, so it was not signed. Upload the version again, or put the original file back in the package store.`,
    };
  }
  if ((err as { code?: string }).code === 'ENOENT') {
    return {
      code: 'package-missing',
      params: { version: work.version },
      text: `The package file of version ${work.version} is missing from the package store; put the packages on storage every instance shares (MPOP_PACKAGE_STORE), or upload the version again.`,
    };
  }
  if (/key|PEM|decoder/i.test((err as Error).message ?? '')) {
    return {
      code: 'key-cannot-sign',
      params: host,
      text: `The private key of host app ${work.appId} (workspace ${work.workspaceId}) cannot sign; upload a valid key again.`,
    };
  }
  return {
    code: 'sign-failed',
    params: { version: work.version, appId: work.appId },
    text: `Signing version ${work.version} for host app ${work.appId} failed; the details are in the server log.`,
  };
}
