import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Dialect } from '../../db/connect.js';
import { underEvaluationLock } from '../../db/evaluation-lock.js';
import type { Database, ReleaseRow } from '../../db/schema.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { GenerationRepository } from '../host-apps/generation.repository.js';
import { ReleaseRepository } from './release.repository.js';
import { rampOf, stepsMoved } from './rollout.js';
import { scopeOf } from './scope.js';

/** The class of the job's PostgreSQL advisory lock (db/evaluation-lock.ts): one instance at a time applies the steps. */
const LOCK_CLASS = 0x6d706f73; // "mpos": apart from the autopilot's and the server presence lock's classes

/** Up to this many host apps raised, their views alone are dropped (one change each); above it, every view. */
const HOST_APP_CHANGES = 48;

export interface ScheduledStepsOptions {
  /** How often the scheduled rollouts are looked at (ms): a step raises the generation within this of its time. */
  intervalMs: number;
}

/** One release whose scheduled steps raised the generation (tests and logs). */
export interface AppliedSteps {
  releaseId: string;
  miniProgramId: string;
  generation: number;
}

/**
 * Raises the generation of a rollout's host apps when one of its scheduled steps takes effect. The gate applies a
 * step by its clock, with no write (rollout.ts), so the answer changes at the step's time; without this its
 * manifest would keep the generation of the answer before, and a replay of that older answer would still be taken.
 * Every second or so (and at start, so a step whose time passed while the server was down is caught up at once) it
 * reads the rollouts going on a schedule, and for each whose percent moved since `steps_applied_at` raises the
 * generation of the host apps its scope reaches, records the moment, and tells every instance's gate.
 *
 * Once per step, as the autopilot decides once: on PostgreSQL one instance at a time looks (an advisory lock), and
 * each raise is made only if the release is still as judged (read again under the mini program's lock, the lock of
 * every release change), so processes that share no lock (the workers of one SQLite) raise it once too. A release
 * change made meanwhile (a raise, a pause) sets `steps_applied_at` itself: its own raise covered the steps due.
 */
export class ScheduledStepsService {
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  /** The last look failed (the database is away): the next failures are not logged again. */
  private failing = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly changes: ChangeBus,
    private readonly log: FastifyBaseLogger,
    private readonly options: ScheduledStepsOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    void this.tick().catch(() => {});
    this.timer = setInterval(() => void this.tick().catch(() => {}), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running.catch(() => {});
  }

  /** Looks at the scheduled rollouts once, raising what is due. Calls queue behind each other. */
  tick(): Promise<AppliedSteps[]> {
    const run = this.running.then(
      () => this.evaluate(),
      () => this.evaluate(),
    );
    this.running = run.catch(() => {});
    return run;
  }

  private async evaluate(): Promise<AppliedSteps[]> {
    try {
      const applied = (await underEvaluationLock(this.db, this.dialect, LOCK_CLASS, () => this.applyAll())) ?? [];
      if (this.failing) this.log.info('the scheduled rollout steps are looked at again');
      this.failing = false;
      return applied;
    } catch (err) {
      // Once per outage, not every second: the steps due meanwhile are caught up when the database answers again.
      if (!this.failing) this.log.error({ err: { message: (err as Error).message } }, 'could not look at the scheduled rollout steps');
      this.failing = true;
      throw err;
    }
  }

  private async applyAll(): Promise<AppliedSteps[]> {
    const now = this.clock();
    const applied: AppliedSteps[] = [];
    for (const row of await new ReleaseRepository(this.db).scheduled()) {
      if (!due(row, now)) continue;
      try {
        const done = await this.apply(row.releaseId, now);
        if (done) {
          applied.push(done);
          this.log.info(done, 'a scheduled rollout step took effect: the generation of its host apps was raised');
        }
      } catch (err) {
        this.log.error({ err: { message: (err as Error).message }, releaseId: row.releaseId }, 'could not apply a scheduled rollout step');
      }
    }
    return applied;
  }

  /** Raises the generation for the steps of one release, if still due once its mini program is locked. */
  private async apply(releaseId: string, now: number): Promise<AppliedSteps | undefined> {
    const at = new Date(now).toISOString();
    const raised = await this.db.transaction().execute(async (trx) => {
      const repo = new ReleaseRepository(trx);
      const seen = await repo.find(releaseId);
      if (!seen || !(await repo.lockMiniProgram(seen.miniProgramId, at))) return undefined;
      // Read again under the lock: another instance (or a person's change) may have covered it meanwhile.
      const row = await repo.find(releaseId);
      if (!row || !due(row, now)) return undefined;
      const { value, hostApps } = await new GenerationRepository(trx).raiseForRelease(row.miniProgramId, scopeOf(row));
      await repo.update(releaseId, { stepsAppliedAt: at });
      return { miniProgramId: row.miniProgramId, generation: value, hostApps };
    });
    if (!raised) return undefined;
    // After the commit: every instance's gate reads the new generation (and the views built before the step).
    if (raised.hostApps === null || raised.hostApps.length > HOST_APP_CHANGES) {
      await this.changes.publish({ kind: 'all-gate-views' });
    } else {
      for (const [workspaceId, appId] of raised.hostApps) await this.changes.publish({ kind: 'host-app-gate', workspaceId, appId });
    }
    return { releaseId, miniProgramId: raised.miniProgramId, generation: raised.generation };
  }
}

/** Whether the release's steps moved its percent since they last raised the generation. */
function due(row: ReleaseRow, now: number): boolean {
  const applied = row.stepsAppliedAt === null ? null : Date.parse(row.stepsAppliedAt);
  return stepsMoved(rampOf(row), applied, now);
}
