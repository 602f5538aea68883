import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { MiniProgramRollout, PatchReleaseBody, Release, ReleaseBody, RollbackBody } from '@mpop/contracts';
import type { Database, ReleaseRow } from '../../db/schema.js';
import type { Executor } from '../../db/executor.js';
import { AppError, notFound, validationFailed } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { Principal } from '../auth/auth.service.js';
import type { PackageSigner, SigningReason } from '../signing/package-signer.js';
import { HostAppRepository } from '../host-apps/host-app.repository.js';
import { canonicalVersion } from '../mini-programs/versions.js';
import { discardingOutbox, type Outbox } from '../webhooks/outbox.js';
import { MiniProgramRepository } from '../mini-programs/mini-program.repository.js';
import { ReleaseRepository, type VersionSigning } from './release.repository.js';
import { effectiveBp, effectiveState, FULL, rampOf, resumeSteps, type Step, toBp, toPercent } from './rollout.js';

/**
 * Controlled releases: a release makes one version the one host apps get, at once or step by step (percent,
 * scheduled steps, device whitelist, host-app scope); raise, pause and resume; roll back; take down. The newest
 * release of a mini program is its current one. Every call is one transaction with one audit event, then the gate's
 * caches are dropped everywhere and the missing signatures are made.
 */
export class ReleaseService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly signer: PackageSigner,
    private readonly changes: ChangeBus,
    private readonly clock: () => number = Date.now,
    /** Where the release.* webhook events are recorded, in the transaction of the change. */
    private readonly outbox: Outbox = discardingOutbox,
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
    await this.requireMiniProgram(this.db, id);
    const repo = new ReleaseRepository(this.db);
    const [rows, signing] = await Promise.all([repo.list(id), repo.signing(id)]);
    const now = this.clock();
    return rows.map((r) => toRelease(r, signing, now));
  }

  /** Releases a version: with no rollout, to every device at once (`complete`); a release still rolling out is superseded. */
  async release(id: string, asked: string, body: ReleaseBody, actor: Principal): Promise<Release> {
    // 1.0.0.01 names the package stored as 1.0.0.1 (rows stored before versions were made canonical keep their spelling).
    const version = (await new MiniProgramRepository(this.db).findPackage(id, canonicalVersion(asked))) ? canonicalVersion(asked) : asked;
    const now = this.clock();
    const at = new Date(now).toISOString();
    const rollout = body.rollout;
    const bp = rollout ? toBp(rollout.percent) : FULL;
    const steps = normaliseSteps(rollout?.steps ?? [], bp);
    const devices = [...new Set(rollout?.devices ?? [])];
    const releaseId = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      const repo = new ReleaseRepository(trx);
      await this.lock(repo, id, at);
      if (!(await new MiniProgramRepository(trx).findPackage(id, version))) throw notFound(`Version ${version} of the mini program ${id}`);
      const hostApps = rollout?.hostApps ? await this.checkHostApps(trx, rollout.hostApps) : null;
      const history = await repo.list(id);
      const current = history[0];
      if (current) await this.retire(repo, current, 'superseded', now);
      const state = bp >= FULL ? 'complete' : 'rolling-out';
      await repo.insert(
        {
          releaseId,
          miniProgramId: id,
          version,
          previousVersion: previousVersion(history, now),
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
        },
        devices,
      );
      await repo.setCurrent(id, releaseId, version, at);
      await new AuditRepository(trx).record({
        actor: actor.actor,
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
        },
      });
      const event = { releaseId, miniProgramId: id, version, percent: toPercent(Math.min(bp, FULL)), state, actor: actor.actor };
      await this.outbox.record(trx, 'release.created', event);
      if (state === 'complete') await this.outbox.record(trx, 'release.completed', event);
    });
    return this.afterChange(id, releaseId, { code: 'release', params: { miniProgramId: id, version } });
  }

  /** Raises the percent (never lowers it), pauses or resumes the current rollout. 100 % completes it. */
  async update(id: string, releaseId: string, body: PatchReleaseBody, actor: Principal): Promise<Release> {
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const repo = new ReleaseRepository(trx);
      await this.lock(repo, id, new Date(now).toISOString());
      const mp = await this.requireMiniProgram(trx, id);
      const r = await repo.find(releaseId);
      if (!r || r.miniProgramId !== id) throw notFound(`The release ${releaseId} of the mini program ${id}`);
      const ramp = rampOf(r);
      const state = effectiveState(ramp, now);
      if (mp.currentReleaseId !== releaseId || (state !== 'rolling-out' && state !== 'paused')) {
        throw new AppError(
          'RELEASE_NOT_ACTIVE',
          `The release ${releaseId} is ${state === 'rolling-out' || state === 'paused' ? 'no longer the current one' : state}; only a rollout in progress can be raised, paused or resumed.`,
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
      if (bp >= FULL) {
        bp = FULL;
        pausedAt = null;
        next = 'complete';
      }
      const at = new Date(now).toISOString();
      await repo.update(releaseId, {
        state: next,
        percentBp: bp,
        steps: stepsJson(steps),
        pausedAt: pausedAt === null ? null : new Date(pausedAt).toISOString(),
        updatedAt: at,
      });
      await new AuditRepository(trx).record({
        actor: actor.actor,
        action: 'mini-program.rollout.changed',
        target: `mini-program:${id}`,
        details: { releaseId, version: r.version, fromPercent: toPercent(from), percent: toPercent(bp), state: next },
      });
      const event = { releaseId, miniProgramId: id, version: r.version, percent: toPercent(bp), state: next, actor: actor.actor };
      if (next === 'paused' && state !== 'paused') await this.outbox.record(trx, 'release.paused', event);
      if (next === 'complete') await this.outbox.record(trx, 'release.completed', event);
    });
    return this.afterChange(id, releaseId, { code: 'rollout', params: { miniProgramId: id } });
  }

  /**
   * Rolls back in one call: the earlier version (by default the last one that was complete) is released at 100 %,
   * and the current release becomes `rolled-back`.
   */
  async rollback(id: string, body: RollbackBody, actor: Principal): Promise<Release> {
    const now = this.clock();
    const at = new Date(now).toISOString();
    const releaseId = randomUUID();
    let target = '';
    await this.db.transaction().execute(async (trx) => {
      const repo = new ReleaseRepository(trx);
      await this.lock(repo, id, at);
      const history = await repo.list(id);
      const current = history[0];
      if (!current) throw nothingToRollBackTo(`The mini program ${id} has never been released, so there is nothing to roll back to.`);
      if (body.version !== undefined) {
        const packages = new MiniProgramRepository(trx);
        const asked = (await packages.findPackage(id, canonicalVersion(body.version))) ? canonicalVersion(body.version) : body.version;
        if (!(await packages.findPackage(id, asked))) throw notFound(`Version ${body.version} of the mini program ${id}`);
        if (asked === current.version && current.state !== 'taken-down') {
          throw nothingToRollBackTo(`Version ${body.version} is the current release already; choose an earlier version.`);
        }
        target = asked;
      } else {
        const earlier = lastComplete(history.slice(1), current.version);
        if (!earlier) {
          throw nothingToRollBackTo(
            `The mini program ${id} has no earlier complete release to roll back to; release an earlier version instead, or take it down.`,
          );
        }
        target = earlier;
      }
      if (current.state !== 'taken-down') await this.retire(repo, current, 'rolled-back', now);
      await repo.insert(
        {
          releaseId,
          miniProgramId: id,
          version: target,
          previousVersion: current.state === 'taken-down' ? null : current.version,
          state: 'complete',
          percentBp: FULL,
          steps: '[]',
          pausedAt: null,
          deviceCount: 0,
          hostApps: null,
          mandatory: 0,
          note: null,
          createdAt: at,
          createdBy: createdBy(actor),
          updatedAt: at,
        },
        [],
      );
      await repo.setCurrent(id, releaseId, target, at);
      await new AuditRepository(trx).record({
        actor: actor.actor,
        action: 'mini-program.rolled-back',
        target: `mini-program:${id}`,
        details: { releaseId, version: target, rolledBackReleaseId: current.releaseId, fromVersion: current.version },
      });
      await this.outbox.record(trx, 'release.rolled-back', {
        releaseId,
        miniProgramId: id,
        version: target,
        rolledBackReleaseId: current.releaseId,
        fromVersion: current.version,
        actor: actor.actor,
      });
    });
    return this.afterChange(id, releaseId, { code: 'roll-back', params: { miniProgramId: id, version: target } });
  }

  /** Takes the mini program down: no host app gets it until a version is released again. */
  async takeDown(id: string, actor: Principal): Promise<Release> {
    const now = this.clock();
    const at = new Date(now).toISOString();
    let releaseId = '';
    await this.db.transaction().execute(async (trx) => {
      const repo = new ReleaseRepository(trx);
      await this.lock(repo, id, at);
      const [current] = await repo.list(id, 1);
      if (!current)
        throw new AppError('RELEASE_NOT_ACTIVE', `The mini program ${id} has never been released; there is nothing to take down.`);
      releaseId = current.releaseId;
      if (current.state !== 'taken-down') await this.retire(repo, current, 'taken-down', now);
      await repo.setCurrent(id, current.releaseId, null, at);
      await new AuditRepository(trx).record({
        actor: actor.actor,
        action: 'mini-program.taken-down',
        target: `mini-program:${id}`,
        details: { releaseId, version: current.version },
      });
      await this.outbox.record(trx, 'release.taken-down', { releaseId, miniProgramId: id, version: current.version, actor: actor.actor });
    });
    await this.changes.publish({ kind: 'all-gate-views' });
    return this.get(id, releaseId);
  }

  private async get(id: string, releaseId: string): Promise<Release> {
    const repo = new ReleaseRepository(this.db);
    const [row, signing] = await Promise.all([repo.find(releaseId), repo.signing(id)]);
    return toRelease(row!, signing, this.clock());
  }

  /** After a commit: drop the gate's caches everywhere, make the missing signatures, answer the release as it is now. */
  private async afterChange(id: string, releaseId: string, reason: SigningReason): Promise<Release> {
    await this.changes.publish({ kind: 'all-gate-views' });
    await this.signer.signMissing({ miniProgramId: id }, reason);
    return this.get(id, releaseId);
  }

  /**
   * Ends a release that stops being current. A rollout whose steps reached 100 % is recorded as complete rather
   * than superseded (it was complete), and the percent it reached is written down for the history.
   */
  private async retire(repo: ReleaseRepository, r: ReleaseRow, as: 'superseded' | 'rolled-back' | 'taken-down', now: number) {
    const ramp = rampOf(r);
    const state = effectiveState(ramp, now);
    if (as === 'superseded' && state !== 'rolling-out' && state !== 'paused') {
      if (state === 'complete' && r.state !== 'complete') {
        await repo.update(r.releaseId, { state: 'complete', percentBp: FULL, pausedAt: null, updatedAt: new Date(now).toISOString() });
      }
      return;
    }
    await repo.update(r.releaseId, { state: as, percentBp: effectiveBp(ramp, now), updatedAt: new Date(now).toISOString() });
  }

  /** Serialises the changes of one mini program's releases (see ReleaseRepository.lockMiniProgram). */
  private async lock(repo: ReleaseRepository, id: string, at: string) {
    if (!(await repo.lockMiniProgram(id, at))) throw notFound(`The mini program ${id}`);
  }

  private async requireMiniProgram(db: Executor, id: string) {
    const mp = await new MiniProgramRepository(db).find(id);
    if (!mp) throw notFound(`The mini program ${id}`);
    return mp;
  }

  private async checkHostApps(db: Executor, refs: { workspaceId: string; appId: string }[]) {
    const repo = new HostAppRepository(db);
    const seen = new Map<string, { workspaceId: string; appId: string }>();
    for (const [i, ref] of refs.entries()) {
      if (!(await repo.find(ref.workspaceId, ref.appId))) {
        throw validationFailed(`rollout.hostApps.${i}`, `There is no host app ${ref.appId} in workspace ${ref.workspaceId}.`);
      }
      seen.set(`${ref.workspaceId}\n${ref.appId}`, { workspaceId: ref.workspaceId, appId: ref.appId });
    }
    return [...seen.values()];
  }
}

/** What devices outside a new rollout keep getting: the newest complete release's version, none after a take-down. */
function previousVersion(history: readonly ReleaseRow[], now: number): string | null {
  for (const r of history) {
    const state = effectiveState(rampOf(r), now);
    if (state === 'taken-down') return null;
    if (state === 'complete') return r.version;
  }
  return null;
}

/** The newest complete release before a take-down, of another version than the current one. */
function lastComplete(older: readonly ReleaseRow[], currentVersion: string): string | undefined {
  for (const r of older) {
    if (r.state === 'taken-down') return undefined;
    if (r.state === 'complete' && r.version !== currentVersion) return r.version;
  }
  return undefined;
}

/** Sorts the steps by time and checks that the ramp only goes up from the starting percent. */
function normaliseSteps(raw: readonly { percent: number; at: string }[], startBp: number): Step[] {
  const steps = raw.map((s) => ({ bp: toBp(s.percent), at: Date.parse(s.at) })).sort((a, b) => a.at - b.at);
  let last = startBp;
  for (const [i, s] of steps.entries()) {
    if (Number.isNaN(s.at)) throw validationFailed(`rollout.steps.${i}.at`, 'Give the time as an ISO 8601 date-time.');
    if (s.bp < last) {
      throw validationFailed(
        `rollout.steps.${i}.percent`,
        'A step cannot lower the percent: each step must be at least the starting percent and the steps before it.',
      );
    }
    last = s.bp;
  }
  return steps;
}

const stepsJson = (steps: readonly Step[]) =>
  JSON.stringify(steps.map((s) => ({ percent: toPercent(s.bp), at: new Date(s.at).toISOString() })));

/** Who released, as the history shows it; the column holds 128 characters (a long user name with a long token name). */
const createdBy = (actor: Principal) => [...actor.actor].slice(0, 128).join('');

const nothingToRollBackTo = (detail: string) => new AppError('NOTHING_TO_ROLL_BACK_TO', detail);

function toRelease(r: ReleaseRow, signing: Map<string, VersionSigning>, now: number): Release {
  const ramp = rampOf(r);
  const s = signing.get(r.version);
  const total = s?.total ?? 0;
  const done = s?.done ?? 0;
  return {
    releaseId: r.releaseId,
    miniProgramId: r.miniProgramId,
    version: r.version,
    previousVersion: r.previousVersion,
    state: effectiveState(ramp, now),
    percent: toPercent(effectiveBp(ramp, now)),
    steps: JSON.parse(r.steps),
    devices: Number(r.deviceCount),
    hostApps: r.hostApps === null ? null : JSON.parse(r.hostApps),
    mandatory: Boolean(r.mandatory),
    note: r.note,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    updatedAt: r.updatedAt,
    signing: {
      state: done >= total ? 'signed' : s?.failed ? 'failed' : 'pending',
      reason: done >= total ? null : (s?.reason ?? null),
      total,
      done,
    },
  };
}
