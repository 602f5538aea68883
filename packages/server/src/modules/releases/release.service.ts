import { randomUUID } from 'node:crypto';
import { requireApprovedForRelease } from '../mini-programs/release-gate.js';
import type { Kysely } from 'kysely';
import type { MiniProgramRollout, PatchReleaseBody, Release, ReleaseBody, RollbackBody } from '@mpop/contracts';
import type { Database, ReleaseRow } from '../../db/schema.js';
import { AppError, notFound } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from '../auth/auth.service.js';
import { GenerationRepository } from '../host-apps/generation.repository.js';
import { canonicalVersion } from '../mini-programs/versions.js';
import { discardingOutbox, type Outbox } from '../webhooks/outbox.js';
import { MiniProgramRepository } from '../mini-programs/mini-program.repository.js';
import type { MissingSignatures } from '../mini-programs/mini-program.service.js';
import { completeRow, createdBy, normaliseSteps, nothingToRollBackTo, stepsJson, toRelease } from './release-rows.js';
import { ReleaseRepository } from './release.repository.js';
import { checkAutopilot, startAutopilot } from './autopilot.js';
import { checkHostApps, chosenTarget, requireMiniProgram } from './release-checks.js';
import { checkAutopilotRelease, liveFigures, StaleDecision, type Steer, steeredBy } from './release-steering.js';
import { PatchRepository } from '../patches/patch.repository.js';
import { effectiveBp, effectiveState, FULL, rampOf, resumeSteps, toBp, toPercent } from './rollout.js';
import { liveRollouts, previousVersion, type RollbackTarget, rollbackTargets, type Settled, settleRollouts } from './scope.js';

/** What a release needs of the patch maker: whether it is on, and a nudge once the release's jobs are committed. */
export interface PatchQueue {
  readonly enabled: boolean;
  wake(): void;
}

/**
 * Controlled releases: a release makes one version the one host apps get, at once or step by step (percent,
 * scheduled steps, device whitelist, host-app scope); raise, pause and resume; roll back; take down. The newest
 * release of a mini program is its current one; each host app follows the newest release whose scope reaches it
 * (scope.ts), so a release for one host app never moves another's. Every call is one transaction with one audit
 * event (and a raise of the generations of the host apps it reaches), then the gate's caches are dropped everywhere
 * and the missing signatures are made. What the operations check first is in release-checks.ts; how the autopilot
 * steers them (its decisions, its state after a person's change, its live figures) in release-steering.ts; the rows
 * and answers in release-rows.ts; the ramp arithmetic in rollout.ts; the scope rules in scope.ts.
 */
export class ReleaseService {
  constructor(
    private readonly db: Kysely<Database>,
    // Only signMissing: the signer's folder reads the releases' scope rules, so this one must not import it.
    private readonly signer: MissingSignatures,
    private readonly changes: ChangeBus,
    private readonly clock: () => number = Date.now,
    /** Where the release.* webhook events are recorded, in the transaction of the change. */
    private readonly outbox: Outbox = discardingOutbox,
    /** Makes the patches a release queues (in its transaction), woken once it commits. */
    private readonly patches: PatchQueue = { enabled: false, wake() {} },
  ) {}

  /** A current release that reaches part of the devices now (steps applied): its share; null once it reaches all. */
  rolloutOf(r: {
    version: string;
    state: ReleaseRow['state'];
    percentBp: number;
    steps: string;
    pausedAt: string | null;
    previousVersion: string | null;
  }): MiniProgramRollout | null {
    const ramp = rampOf(r);
    const now = this.clock();
    const state = effectiveState(ramp, now);
    if (state !== 'rolling-out' && state !== 'paused') return null;
    return { version: r.version, percent: toPercent(effectiveBp(ramp, now)), state, previousVersion: r.previousVersion };
  }

  async list(id: string): Promise<Release[]> {
    await requireMiniProgram(this.db, id);
    const repo = new ReleaseRepository(this.db);
    const [rows, signing] = await Promise.all([repo.list(id), repo.signing(id)]);
    const now = this.clock();
    const live = await liveFigures(this.db, rows);
    return rows.map((r) => toRelease(r, signing, now, live));
  }

  /**
   * Releases a version: with no rollout, to every device of its scope at once (`complete`). A rollout still going
   * ends (`superseded`) when the new release reaches all of its host apps; it keeps going for the others.
   */
  async release(id: string, asked: string, body: ReleaseBody, actor: Principal): Promise<Release> {
    // 1.0.0.01 names the package stored as 1.0.0.1 (rows stored before versions were made canonical keep their spelling).
    const version = (await new MiniProgramRepository(this.db).findPackage(id, canonicalVersion(asked))) ? canonicalVersion(asked) : asked;
    const now = this.clock();
    const at = new Date(now).toISOString();
    const rollout = body.rollout;
    if (body.autopilot) checkAutopilotRelease(body);
    const bp = body.autopilot ? toBp(body.autopilot.steps[0]) : rollout ? toBp(rollout.percent) : FULL;
    const steps = normaliseSteps(rollout?.steps ?? [], bp);
    const devices = [...new Set(rollout?.devices ?? [])];
    const releaseId = randomUUID();
    let pending: string | undefined;
    await this.db.transaction().execute(async (trx) => {
      const repo = new ReleaseRepository(trx);
      await this.lock(repo, id, at);
      if (!(await new MiniProgramRepository(trx).findPackage(id, version))) throw notFound(`Version ${version} of the mini program ${id}`);
      await requireApprovedForRelease(trx, id, version);
      const hostApps = rollout?.hostApps ? await checkHostApps(trx, rollout.hostApps) : null;
      const history = await repo.list(id);
      await this.settle(repo, settleRollouts(history, hostApps, now), now);
      const state = bp >= FULL ? 'complete' : 'rolling-out';
      await repo.insert(
        {
          releaseId,
          miniProgramId: id,
          version,
          previousVersion: previousVersion(history, hostApps, now),
          state,
          percentBp: Math.min(bp, FULL),
          steps: stepsJson(steps),
          pausedAt: null,
          deviceCount: devices.length,
          hostApps: hostApps && JSON.stringify(hostApps),
          mandatory: body.mandatory ? 1 : 0,
          note: body.note?.trim() || null,
          createdAt: at,
          createdBy: createdBy(actor),
          updatedAt: at,
          // Steps already due are in this release's own raise of the generation.
          stepsAppliedAt: at,
          autopilot: body.autopilot
            ? JSON.stringify(startAutopilot(body.autopilot, 0, now, `Released by ${actor.actor} at ${body.autopilot.steps[0]} %.`))
            : null,
        },
        devices,
      );
      await repo.setCurrent(id, releaseId, version, at);
      // Patches from the versions devices may have to this one, made in the background once this commits.
      if (this.patches.enabled) await new PatchRepository(trx).queueFor(id, version, at);
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'mini-program.released',
        target: `mini-program:${id}`,
        details: {
          releaseId,
          version,
          percent: toPercent(Math.min(bp, FULL)),
          ...(steps.length ? { steps: steps.length } : {}),
          ...(devices.length ? { devices: devices.length } : {}),
          ...(hostApps ? { hostApps } : {}),
          mandatory: Boolean(body.mandatory),
          ...(body.autopilot ? { autopilot: body.autopilot } : {}),
        },
      });
      const event = { releaseId, miniProgramId: id, version, percent: toPercent(Math.min(bp, FULL)), state, actor: actor.actor };
      await this.outbox.record(trx, 'release.created', event);
      if (state === 'complete') await this.outbox.record(trx, 'release.completed', event);
      await new GenerationRepository(trx).raiseForMiniProgram(id);
      pending = await this.signer.markPending(trx, { miniProgramId: id });
    });
    // Woken once the release's signing job has started (or ended, when small): the patch waits until it is over.
    try {
      return await this.afterChange(id, releaseId, { code: 'release', params: { miniProgramId: id, version } }, pending);
    } finally {
      this.patches.wake();
    }
  }

  /**
   * Raises the percent (never lowers it), pauses or resumes a rollout still going (the current release, or an
   * earlier one still rolling out for host apps a newer release does not reach). 100 % completes it.
   */
  async update(id: string, releaseId: string, body: PatchReleaseBody, actor: Principal, steer?: Steer): Promise<Release> {
    if (body.autopilot) checkAutopilot(body.autopilot);
    const now = this.clock();
    let pending: string | undefined;
    await this.db.transaction().execute(async (trx) => {
      const repo = new ReleaseRepository(trx);
      await this.lock(repo, id, new Date(now).toISOString());
      const r = await repo.find(releaseId);
      if (!r || r.miniProgramId !== id) throw notFound(`The release ${releaseId} of the mini program ${id}`);
      if (steer && !steer.holds(r)) throw new StaleDecision();
      const ramp = rampOf(r);
      const state = effectiveState(ramp, now);
      if (state !== 'rolling-out' && state !== 'paused') {
        throw new AppError(
          'RELEASE_NOT_ACTIVE',
          `The release ${releaseId} is ${state}; only a rollout in progress can be raised, paused or resumed.`,
        );
      }
      const from = effectiveBp(ramp, now);
      if (body.percent !== undefined && toBp(body.percent) < from) {
        throw new AppError(
          'ROLLOUT_CANNOT_SHRINK',
          `The rollout is at ${toPercent(from)} %; the percent can only go up, so devices that have version ${r.version} keep it. To take it back, roll back.`,
        );
      }
      let bp = Math.max(from, body.percent === undefined ? 0 : toBp(body.percent));
      let steps = ramp.steps;
      let pausedAt = ramp.pausedAt;
      let next: 'rolling-out' | 'paused' | 'complete' = state;
      if (body.paused === true && state === 'rolling-out') {
        pausedAt = now;
        next = 'paused';
      } else if (body.paused === false && state === 'paused') {
        steps = resumeSteps(steps, pausedAt ?? now, now);
        pausedAt = null;
        next = 'rolling-out';
      }
      // Handed to the autopilot: it owns the ramp from the step the rollout is in (raised to the first when below it).
      if (body.autopilot) {
        bp = Math.max(bp, toBp(body.autopilot.steps[0]));
        steps = [];
      }
      if (bp >= FULL) {
        bp = FULL;
        pausedAt = null;
        next = 'complete';
      }
      const autopilot = steer
        ? steer.autopilot
        : steeredBy(r.autopilot, body, { from, bp, resumed: state === 'paused' && next !== 'paused' }, actor, now);
      const at = new Date(now).toISOString();
      await repo.update(releaseId, {
        state: next,
        percentBp: bp,
        steps: stepsJson(steps),
        pausedAt: pausedAt === null ? null : new Date(pausedAt).toISOString(),
        updatedAt: at,
        // This change raises the generation: the steps due by now are in it (scheduled-steps.service.ts).
        stepsAppliedAt: at,
        ...(autopilot !== undefined ? { autopilot } : {}),
      });
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'mini-program.rollout.changed',
        target: `mini-program:${id}`,
        details: {
          releaseId,
          version: r.version,
          fromPercent: toPercent(from),
          percent: toPercent(bp),
          state: next,
          ...(body.autopilot !== undefined ? { autopilot: body.autopilot } : {}),
          ...(steer ? { reason: steer.reason } : {}),
        },
      });
      const event = {
        releaseId,
        miniProgramId: id,
        version: r.version,
        percent: toPercent(bp),
        state: next,
        actor: actor.actor,
        ...(steer ? { reason: steer.reason } : {}),
      };
      if (steer && bp > from) await this.outbox.record(trx, 'release.advanced', { ...event, fromPercent: toPercent(from) });
      if (next === 'paused' && state !== 'paused') await this.outbox.record(trx, 'release.paused', event);
      if (next === 'complete') await this.outbox.record(trx, 'release.completed', event);
      await new GenerationRepository(trx).raiseForMiniProgram(id);
      pending = await this.signer.markPending(trx, { miniProgramId: id });
    });
    return this.afterChange(id, releaseId, { code: 'rollout', params: { miniProgramId: id } }, pending);
  }

  /**
   * Rolls back in one call: each host app the current release reaches goes back to an earlier version (by default
   * the last one that was complete for it) at 100 %, and the current release becomes `rolled-back`. Host apps going
   * back to different versions get one release each (scope.ts rollbackTargets); the answer is the first.
   */
  async rollback(id: string, body: RollbackBody, actor: Principal, steer?: Steer): Promise<Release> {
    const now = this.clock();
    const at = new Date(now).toISOString();
    const releaseIds: string[] = [];
    let targets: RollbackTarget[] = [];
    let pending: string | undefined;
    await this.db.transaction().execute(async (trx) => {
      const repo = new ReleaseRepository(trx);
      await this.lock(repo, id, at);
      const history = await repo.list(id);
      const current = history[0];
      if (!current) throw nothingToRollBackTo(`The mini program ${id} has never been released, so there is nothing to roll back to.`);
      if (steer && !steer.holds(current)) throw new StaleDecision();
      targets = body.version === undefined ? rollbackTargets(history) : [await chosenTarget(trx, id, body.version, current)];
      if (targets.length === 0) {
        throw nothingToRollBackTo(
          `The mini program ${id} has no earlier complete release to roll back to for the host apps of its current release; release an earlier version instead, or take it down.`,
        );
      }
      if (current.state !== 'taken-down') await this.retire(repo, current, 'rolled-back', now, steer?.autopilot);
      const previous = current.state === 'taken-down' ? null : current.version;
      // In this order: an unscoped release first, so that the host apps named after it see theirs as the newer.
      for (const t of targets) {
        const releaseId = randomUUID();
        releaseIds.push(releaseId);
        await repo.insert(
          completeRow({ releaseId, miniProgramId: id, version: t.version, previousVersion: previous, scope: t.scope }, actor, at),
          [],
        );
      }
      await repo.setCurrent(id, releaseIds.at(-1)!, targets.at(-1)!.version, at);
      const rolledBack = {
        releaseId: releaseIds[0],
        version: targets[0].version,
        rolledBackReleaseId: current.releaseId,
        fromVersion: current.version,
        // Host apps going back to different versions: one release each.
        ...(targets.length > 1
          ? { targets: targets.map((t, i) => ({ releaseId: releaseIds[i], version: t.version, hostApps: t.scope })) }
          : {}),
      };
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'mini-program.rolled-back',
        target: `mini-program:${id}`,
        details: { ...rolledBack, ...(steer ? { reason: steer.reason } : {}) },
      });
      await this.outbox.record(trx, 'release.rolled-back', {
        ...rolledBack,
        miniProgramId: id,
        actor: actor.actor,
        ...(steer ? { reason: steer.reason } : {}),
      });
      await new GenerationRepository(trx).raiseForMiniProgram(id);
      pending = await this.signer.markPending(trx, { miniProgramId: id });
    });
    return this.afterChange(
      id,
      releaseIds[0],
      {
        code: 'roll-back',
        params: { miniProgramId: id, version: targets.map((t) => t.version).join(', ') },
      },
      pending,
    );
  }

  /** Takes the mini program down: no host app gets it until a version is released again. */
  async takeDown(id: string, actor: Principal): Promise<Release> {
    const now = this.clock();
    const at = new Date(now).toISOString();
    let releaseId = '';
    await this.db.transaction().execute(async (trx) => {
      const repo = new ReleaseRepository(trx);
      await this.lock(repo, id, at);
      const history = await repo.list(id);
      const current = history[0];
      if (!current)
        throw new AppError('RELEASE_NOT_ACTIVE', `The mini program ${id} has never been released; there is nothing to take down.`);
      releaseId = current.releaseId;
      if (current.state !== 'taken-down') {
        // Rollouts still going for host apps the current release does not reach end too: every host app loses it.
        await this.settle(repo, liveRollouts(history.slice(1), now), now);
        await this.retire(repo, current, 'taken-down', now);
      }
      await repo.setCurrent(id, current.releaseId, null, at);
      await new AuditRepository(trx).record({
        actor: actor.actor,
        address: actor.address,
        action: 'mini-program.taken-down',
        target: `mini-program:${id}`,
        details: { releaseId, version: current.version },
      });
      await this.outbox.record(trx, 'release.taken-down', { releaseId, miniProgramId: id, version: current.version, actor: actor.actor });
      await new GenerationRepository(trx).raiseForMiniProgram(id);
    });
    await this.changes.publish({ kind: 'all-gate-views', refresh: true });
    return this.get(id, releaseId);
  }

  private async get(id: string, releaseId: string): Promise<Release> {
    const repo = new ReleaseRepository(this.db);
    const [row, signing] = await Promise.all([repo.find(releaseId), repo.signing(id)]);
    return toRelease(row!, signing, this.clock(), await liveFigures(this.db, [row!]));
  }

  /**
   * After a commit: drop the gate's caches everywhere, make the missing signatures (`pending`: the row the change's
   * transaction wrote for them, markPending), answer the release as it is now.
   * A new version is served to a host app only once it is signed for it: the views of the host apps a new release's
   * job signs for are kept here (serving what they served; a rollout the release supersedes keeps its version there
   * for those seconds) until their batch is signed, then read once, not once now and again when signed. Every other
   * view, and every view of the other instances, is dropped now. A roll-back or a take-down drops every view at once.
   */
  private async afterChange(
    id: string,
    releaseId: string,
    reason: Parameters<MissingSignatures['signMissing']>[1],
    pending: string | undefined,
  ): Promise<Release> {
    if (reason.code !== 'release') {
      // A roll-back serves versions released before: the views in use are read again and signed at once.
      await this.changes.publish({ kind: 'all-gate-views', ...(reason.code === 'roll-back' ? { refresh: true } : {}) });
      await this.signer.signMissing({ miniProgramId: id }, reason, { pending });
      return this.get(id, releaseId);
    }
    let announced = false;
    const announce = async (keep: [string, string][]) => {
      announced = true;
      await this.changes.publish({ kind: 'all-gate-views', keep }, { kind: 'all-gate-views' });
    };
    try {
      await this.signer.signMissing({ miniProgramId: id }, reason, { pending, announce });
    } finally {
      // The job could not start (its reads failed): the release is committed all the same, and served.
      if (!announced) await this.changes.publish({ kind: 'all-gate-views' });
    }
    return this.get(id, releaseId);
  }

  /** Ends the current release (rolled back or taken down), writing down the percent it reached for the history. */
  private async retire(repo: ReleaseRepository, r: ReleaseRow, as: 'rolled-back' | 'taken-down', now: number, autopilot?: string) {
    await repo.update(r.releaseId, {
      state: as,
      percentBp: effectiveBp(rampOf(r), now),
      updatedAt: new Date(now).toISOString(),
      ...(autopilot !== undefined ? { autopilot } : {}),
    });
  }

  /**
   * Records what a change did to the rollouts still going: those whose steps reached 100 % as complete (they were),
   * those no host app follows any more as superseded, with the percent they reached.
   */
  private async settle(repo: ReleaseRepository, settled: Settled, now: number) {
    const updatedAt = new Date(now).toISOString();
    for (const r of settled.completed) await repo.update(r.releaseId, { state: 'complete', percentBp: FULL, pausedAt: null, updatedAt });
    for (const r of settled.superseded) {
      await repo.update(r.releaseId, { state: 'superseded', percentBp: effectiveBp(rampOf(r), now), updatedAt });
    }
  }

  /** Serialises the changes of one mini program's releases (see ReleaseRepository.lockMiniProgram). */
  private async lock(repo: ReleaseRepository, id: string, at: string) {
    if (!(await repo.lockMiniProgram(id, at))) throw notFound(`The mini program ${id}`);
  }
}
