import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Dialect } from '../../db/connect.js';
import { underEvaluationLock } from '../../db/evaluation-lock.js';
import type { Database, ReleaseRow } from '../../db/schema.js';
import { AppError } from '../../lib/app-error.js';
import type { Principal } from '../auth/auth.service.js';
import { decided, judge, parseAutopilot, type StepFigures, type StoredAutopilot } from '../releases/autopilot.js';
import { AutopilotRepository } from '../releases/autopilot.repository.js';
import { ReleaseRepository } from '../releases/release.repository.js';
import type { ReleaseService } from '../releases/release.service.js';
import { StaleDecision, type Steer } from '../releases/release-steering.js';
import type { AutopilotRecorder } from './autopilot-recorder.js';

/** Who the decisions are audited as. */
export const AUTOPILOT_ACTOR: Principal = { username: 'autopilot', role: 'admin', memberships: [], via: 'session', actor: 'autopilot' };

/** The class of the evaluation's PostgreSQL advisory lock (db/evaluation-lock.ts): one instance at a time looks at the autopilots. */
const LOCK_CLASS = 0x6d706f71; // "mpoq": apart from the server presence lock's class

export interface AutopilotOptions {
  /** How often the autopilots are looked at (ms); decisions follow their condition within this plus the flush. */
  intervalMs: number;
  /** How long device reports are kept (the events' retention). */
  retentionDays: number;
}

/** One decision taken (tests and logs). */
export interface TakenDecision {
  releaseId: string;
  miniProgramId: string;
  decision: 'advanced' | 'completed' | 'paused' | 'rolled-back';
  reason: string;
}

/**
 * Steers the releases that carry an autopilot: every few seconds it reads each running step's figures (the devices
 * the recorder counted) and advances, pauses or rolls back through the release operations, so a decision changes the
 * gate, the audit log and the webhooks exactly as a person's action does (with the actor `autopilot`). Its state is
 * the release row's, so a restart carries on mid-step. With several instances on PostgreSQL one evaluates at a time
 * (an advisory lock); and each decision is applied only if the release is still as judged (Steer.holds, under the
 * mini program's lock), so it is taken once even by processes that share no lock (the workers of one SQLite).
 */
export class AutopilotService {
  private timer?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly releases: ReleaseService,
    private readonly recorder: AutopilotRecorder,
    private readonly log: FastifyBaseLogger,
    private readonly options: AutopilotOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick().catch(() => {}), this.options.intervalMs);
    this.sweeper = setInterval(() => void this.sweep().catch(() => {}), 3600_000);
    for (const t of [this.timer, this.sweeper]) t.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.sweeper);
    this.timer = this.sweeper = undefined;
    await this.running.catch(() => {});
    await this.recorder.flush().catch(() => {});
  }

  /** Writes this instance's reports, then looks at every running autopilot once. Calls queue behind each other. */
  tick(): Promise<TakenDecision[]> {
    const run = this.running.then(
      () => this.evaluate(),
      () => this.evaluate(),
    );
    this.running = run.catch(() => {});
    return run;
  }

  private async evaluate(): Promise<TakenDecision[]> {
    await this.recorder.flush().catch(() => {});
    try {
      return (await underEvaluationLock(this.db, this.dialect, LOCK_CLASS, () => this.decideAll())) ?? [];
    } catch (err) {
      this.log.error({ err: { message: (err as Error).message } }, 'the autopilot could not look at its releases');
      throw err;
    }
  }

  private async decideAll(): Promise<TakenDecision[]> {
    const repo = new AutopilotRepository(this.db);
    const taken: TakenDecision[] = [];
    for (const row of await repo.running()) {
      const a = parseAutopilot(row.autopilot);
      if (!a) continue;
      try {
        const d = await this.decide(row, a, await repo.figures(row.releaseId, a.status.since));
        if (d) {
          taken.push(d);
          this.log.info(d, `autopilot: ${d.decision}`);
        }
      } catch (err) {
        if (err instanceof StaleDecision) continue; // another instance decided, or a person acted: judged again next time
        this.log.error({ err: { message: (err as Error).message }, releaseId: row.releaseId }, 'the autopilot could not decide');
      }
    }
    return taken;
  }

  private async decide(row: ReleaseRow, a: StoredAutopilot, f: StepFigures): Promise<TakenDecision | undefined> {
    const now = this.clock();
    const verdict = judge(a, row.version, f, now);
    if (verdict.kind === 'wait') return undefined;
    const id = row.miniProgramId;
    const base = { releaseId: row.releaseId, miniProgramId: id, reason: verdict.reason };
    // Still the step and the moment it was judged in: nobody decided or moved it meanwhile.
    const holds = (r: ReleaseRow) => {
      const now = parseAutopilot(r.autopilot);
      return (
        r.releaseId === row.releaseId &&
        r.state === 'rolling-out' &&
        now?.status.step === a.status.step &&
        now.status.since === a.status.since
      );
    };
    if (verdict.kind === 'advance') {
      const last = verdict.toStep === a.steps.length - 1;
      const decision = last ? 'completed' : 'advanced';
      const steer: Steer = {
        holds,
        reason: verdict.reason,
        autopilot: JSON.stringify(decided(a, decision, verdict.reason, f, now, verdict.toStep)),
      };
      await this.releases.update(id, row.releaseId, { percent: a.steps[verdict.toStep] }, AUTOPILOT_ACTOR, steer);
      return { ...base, decision };
    }
    if (verdict.decision === 'rolled-back') {
      const steer: Steer = { holds, reason: verdict.reason, autopilot: JSON.stringify(decided(a, 'rolled-back', verdict.reason, f, now)) };
      try {
        await this.releases.rollback(id, {}, AUTOPILOT_ACTOR, steer);
        return { ...base, decision: 'rolled-back' };
      } catch (err) {
        // A first release has nothing to go back to, and a release a newer one (for other host apps) followed is not
        // the one a rollback takes back: stopping it is the next safest thing.
        const stillAsJudged = err instanceof StaleDecision && (await this.stillAsJudged(row.releaseId, holds));
        if (!(err instanceof AppError && err.code === 'NOTHING_TO_ROLL_BACK_TO') && !stillAsJudged) throw err;
        const why = stillAsJudged ? 'a newer release is the current one' : 'there is no earlier version to roll back to';
        base.reason = `${verdict.reason.replace(/: rolled back\.$/, '')}: paused, as ${why}.`;
      }
    }
    const steer: Steer = { holds, reason: base.reason, autopilot: JSON.stringify(decided(a, 'paused', base.reason, f, now)) };
    await this.releases.update(id, row.releaseId, { paused: true }, AUTOPILOT_ACTOR, steer);
    return { ...base, decision: 'paused' };
  }

  private async stillAsJudged(releaseId: string, holds: (r: ReleaseRow) => boolean): Promise<boolean> {
    const r = await new ReleaseRepository(this.db).find(releaseId);
    return r !== undefined && holds(r);
  }

  /** Deletes device reports past the events' retention. */
  async sweep(now = this.clock()): Promise<number> {
    return new AutopilotRepository(this.db).sweep(new Date(now - this.options.retentionDays * 86_400_000).toISOString());
  }
}
