import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { PatchJob, PatchJobQuery } from '@mpop/contracts';
import type { Database, PackagePatchRow } from '../../db/schema.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import type { PackageStore } from '../mini-programs/package-store.js';
import { type DeltaRun, makeDelta } from './delta-worker.js';
import { type PatchOutcome, PatchRepository } from './patch.repository.js';

export interface PatchOptions {
  /** MPOP_PATCHES: whether releases queue patches at all. */
  enabled: boolean;
  /** MPOP_PATCH_MAX_BYTES: packages above this size get no patch (a job is skipped with a note). */
  maxBytes: number;
  /** How long a claimed job is this instance's before another may take it over (its instance presumed dead). */
  leaseMs?: number;
  /** How often the queue is looked at besides the wake-ups of this instance's releases (other instances' releases). */
  pollMs?: number;
  /** How long one patch may take. */
  timeoutMs?: number;
  /**
   * Whether signatures are being made (a release's fan-out): the next job waits until they are, so that its worker
   * thread's memory (the two packages, the library's arrays, the thread itself) does not add to the fan-out's.
   */
  busy?: () => boolean;
  /** How often `busy` is asked again while it holds a job back. */
  busyPollMs?: number;
  /** How long `busy` may hold a job back at most (signing that never stops does not starve the patches). */
  busyMaxMs?: number;
}

const DEFAULTS = {
  leaseMs: 10 * 60_000,
  pollMs: 30_000,
  timeoutMs: 5 * 60_000,
  busy: () => false,
  busyPollMs: 250,
  busyMaxMs: 10 * 60_000,
};

/** A patch is kept only when smaller than this share of the full package. */
export const KEEP_BELOW = 0.5;

/**
 * Makes the patches that releases queue (`package_patches` rows, written in the release's transaction, so a restart
 * loses none), one at a time per instance: memory stays bounded by two packages of at most MPOP_PATCH_MAX_BYTES, their
 * patch, and the fossil-delta library's arrays for one chunk and the old package's table (delta-worker.ts). The delta
 * is computed in a worker thread with a heap limit; the event loop only reads and writes the store. A patch is
 * kept (in the package store, under its own SHA-256) only when it is smaller than half the package; a job that
 * cannot be made is a warning on the list, never a failed release. The gate's views are rebuilt when one is kept.
 */
export class PatchMaker {
  private readonly options: Required<PatchOptions>;
  private started = false;
  private stopping = false;
  private loop?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private current?: { row: PackagePatchRow; run?: DeltaRun };
  /** Ends a wait for signing to be over at once (stop). */
  private interruptWait?: () => void;
  /** Told when a job is held back because signatures are being made (tests). */
  onDeferred: () => void = () => {};
  /** Told about every job that ended (metrics, tests). */
  onFinished: (status: PatchJob['status']) => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: PackageStore,
    private readonly changes: ChangeBus,
    private readonly log: FastifyBaseLogger,
    options: PatchOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Starts taking jobs (those left by a stopped or crashed process first), and looks again every `pollMs`. */
  start(): void {
    if (!this.options.enabled || this.started) return;
    this.started = true;
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Looks at the queue now (a release just queued jobs). */
  wake(): void {
    if (!this.started || this.stopping) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    this.loop = this.drain()
      .catch((err) => this.log.error({ err: { message: (err as Error).message } }, 'patch queue failed'))
      .finally(() => {
        this.loop = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops: the job in progress is given back to the queue (this or another instance makes it later). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.interruptWait?.();
    this.current?.run?.cancel();
    await this.loop;
  }

  /** Resolves once no job is queued or running here (tests; `mpop` tools). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  async list(q: PatchJobQuery): Promise<PatchJob[]> {
    const rows = await new PatchRepository(this.db).list({ miniProgramId: q.miniProgramId || undefined, limit: q.limit ?? 50 });
    return rows.map(toJob);
  }

  private async drain(): Promise<void> {
    const repo = new PatchRepository(this.db);
    while (!this.stopping) {
      await this.untilSigningIsOver();
      if (this.stopping) return;
      const now = this.clock();
      const row = await repo.claim(new Date(now).toISOString(), new Date(now + this.options.leaseMs).toISOString());
      if (!row) return;
      this.current = { row };
      let outcome: PatchOutcome;
      try {
        outcome = await this.make(row);
      } catch (err) {
        if (this.stopping) {
          await repo.release(row.id, row.attempts, new Date(this.clock()).toISOString()).catch(() => {});
          return;
        }
        this.log.warn({ err: { message: (err as Error).message }, patch: row.id }, 'could not make a patch');
        outcome = failed(
          'failed',
          `Making the patch from ${row.fromVersion} failed; devices download the full package. The details are in the server log.`,
        );
      } finally {
        this.current = undefined;
      }
      const kept = await repo.finish(row.id, row.attempts, outcome, new Date(this.clock()).toISOString());
      if (!kept && outcome.sha256)
        this.log.warn({ patch: row.id }, 'a patch job was taken over by another instance; its result is dropped');
      this.log.info(
        {
          patch: row.id,
          miniProgramId: row.miniProgramId,
          from: row.fromVersion,
          to: row.toVersion,
          status: outcome.status,
          size: outcome.size,
        },
        'patch job finished',
      );
      this.onFinished(outcome.status);
      if (kept && outcome.status === 'done') await this.changes.publish({ kind: 'patches-made', miniProgramId: row.miniProgramId });
    }
  }

  /**
   * Waits while signatures are being made (busyMaxMs at most), before the next job is claimed: a release's fan-out
   * signs for every host app at once, and the patch that release queued can as well be made a few seconds later.
   * Waiting before the claim keeps the job in the queue meanwhile, free for an instance that is not signing.
   */
  private async untilSigningIsOver(): Promise<void> {
    const { busy, busyPollMs, busyMaxMs } = this.options;
    if (!busy()) return;
    this.onDeferred();
    const until = performance.now() + busyMaxMs;
    while (!this.stopping && busy() && performance.now() < until) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, busyPollMs);
        this.interruptWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.interruptWait = undefined;
    }
  }

  /** Makes one patch and decides whether it is kept. */
  private async make(row: PackagePatchRow): Promise<PatchOutcome> {
    const [fromSize, toSize] = await Promise.all([this.store.size(row.fromSha256), this.store.size(row.toSha256)]);
    for (const [size, version] of [
      [fromSize, row.fromVersion],
      [toSize, row.toVersion],
    ] as const) {
      if (size === undefined) {
        return failed(
          'missing',
          `The package of version ${version} is missing from the package store, so no patch was made; devices download the full package.`,
          toSize,
        );
      }
    }
    const limit = this.options.maxBytes;
    if (fromSize! > limit || toSize! > limit) {
      this.log.warn({ patch: row.id, fromSize, toSize, limit }, 'package above MPOP_PATCH_MAX_BYTES: no patch made');
      return {
        ...failed(
          'too-large',
          `The packages (${fromSize} and ${toSize} bytes) are larger than MPOP_PATCH_MAX_BYTES (${limit} bytes), so no patch was made; devices download the full package. Raise MPOP_PATCH_MAX_BYTES to make patches of packages this large.`,
          toSize,
        ),
        status: 'skipped',
      };
    }
    const from = await this.readExact(row.fromSha256, fromSize!);
    const to = await this.readExact(row.toSha256, toSize!);
    if (!from || !to) {
      const version = from ? row.toVersion : row.fromVersion;
      return failed(
        'altered',
        `The package file of version ${version} in the package store does not have the SHA-256 recorded at upload, so no patch was made.`,
        toSize,
      );
    }
    if (this.stopping) throw new Error('the server is stopping');
    // Kept only when smaller than half the package: making it stops as soon as the chunks made so far cannot be.
    const run = makeDelta(from, to, Math.ceil(toSize! * KEEP_BELOW) - 1, this.options.timeoutMs);
    this.current = { row, run };
    const made = await run.result;
    if (made.over) {
      return {
        status: 'skipped',
        fullSize: toSize!,
        size: null,
        sha256: null,
        noteCode: 'not-smaller',
        note: `A patch would not be smaller than half the package (${toSize} bytes), so none was kept; devices download the full package.`,
      };
    }
    const { patch, exact } = made;
    if (!exact) throw new Error('the patch does not rebuild the package');
    const received = await this.store.receive(Readable.from([patch], { objectMode: false }));
    await this.store.commit(received);
    return { status: 'done', fullSize: toSize!, size: received.size, sha256: received.sha256, noteCode: null, note: null };
  }

  /** A package's bytes in one buffer of its own, or undefined when they do not hash to its name. */
  private async readExact(sha256: string, size: number): Promise<Uint8Array | undefined> {
    const out = new Uint8Array(size);
    const hash = createHash('sha256');
    let at = 0;
    for await (const chunk of await this.store.read(sha256)) {
      const c = chunk as Buffer;
      if (at + c.length > size) return undefined;
      out.set(c, at);
      hash.update(c);
      at += c.length;
    }
    return at === size && hash.digest('hex') === sha256 ? out : undefined;
  }
}

function failed(noteCode: NonNullable<PatchOutcome['noteCode']>, note: string, fullSize?: number): PatchOutcome {
  return { status: 'failed', fullSize: fullSize ?? null, size: null, sha256: null, noteCode, note };
}

export function toJob(r: PackagePatchRow): PatchJob {
  return {
    id: Number(r.id),
    miniProgramId: r.miniProgramId,
    fromVersion: r.fromVersion,
    toVersion: r.toVersion,
    format: r.format,
    status: r.status,
    fullSize: r.fullSize === null ? null : Number(r.fullSize),
    size: r.size === null ? null : Number(r.size),
    sha256: r.sha256,
    noteCode: r.noteCode,
    note: r.note,
    attempts: r.attempts,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
  };
}
