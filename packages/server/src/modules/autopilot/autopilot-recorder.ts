import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { AutopilotDevicesTable, Database } from '../../db/schema.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import type { Outcome } from '../events/events.service.js';
import type { GateService } from '../gate/gate.service.js';
import { AutopilotRepository } from '../releases/autopilot.repository.js';

/** Pending device rows kept (memory bound); reports beyond it wait for the next flush to be heard. */
const MAX_PENDING = 100_000;

/**
 * Counts the devices of each autopilot step. The events service tells it every launch and failure it took (a
 * configured, enabled host app, an authorised mini program, an uploaded version, within the per-address device
 * bound); it keeps those of the version an autopilot steers, from devices the gate serves that version to, and
 * writes them in batches (one row per device and release, the latest launch and failure), as adoption does.
 *
 * "Served" is decided as the gate decides it, not looked up: the gate's own view of the host app, the device's
 * cohort in the release and the whitelist (GateService.versionFor). That is deterministic, the same on every
 * instance and after a restart, and costs the gate no write per request. A device the gate would give the previous
 * version (outside the percent, another host app's scope, a version not yet signed for its host app) does not count.
 */
export class AutopilotRecorder {
  private pending = new Map<string, AutopilotDevicesTable>();
  private steered?: Promise<Map<string, { releaseId: string; version: string }[]>>;
  private readonly inFlight = new Set<Promise<void>>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly gate: GateService,
    changes: ChangeBus,
    private readonly log: FastifyBaseLogger,
    /** The release clock: a report is dated as the steps are, by the server. */
    private readonly clock: () => number = Date.now,
  ) {
    // A release, a raise, a pause, a rollback: every release change drops every gate view, and this list with them.
    changes.onInvalidate((c) => {
      if (c.kind === 'all-gate-views') this.steered = undefined;
    });
  }

  /** Takes one launch or failure (EventsService.onOutcome); checked against the gate in the background. */
  observe(o: Outcome): void {
    // Dated when received, not when its check ends: a report that arrived before a step began never counts in it.
    const at = new Date(this.clock()).toISOString();
    const p = this.check(o, at).catch((err) =>
      this.log.warn({ err: { message: (err as Error).message } }, 'could not check a device report for the autopilot'),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async check(o: Outcome, at: string): Promise<void> {
    const release = (await this.steeredReleases()).get(o.miniProgramId)?.find((r) => r.version === o.version);
    if (!release) return;
    if ((await this.gate.versionFor(o.workspaceId, o.appId, o.miniProgramId, o.deviceId)) !== o.version) return;
    const k = `${release.releaseId}\n${o.hostAppId}\n${o.deviceId}`;
    let row = this.pending.get(k);
    if (!row) {
      if (this.pending.size >= MAX_PENDING) return;
      row = { releaseId: release.releaseId, hostAppId: o.hostAppId, deviceId: o.deviceId, launchedAt: null, failedAt: null };
      this.pending.set(k, row);
    }
    if (o.type === 'launch') row.launchedAt = at;
    else row.failedAt = at;
  }

  /** The releases an autopilot steers, by mini program (several when scoped to different host apps). */
  private steeredReleases() {
    if (!this.steered) {
      const loading = new AutopilotRepository(this.db).steered().then((rows) => {
        const byProgram = new Map<string, { releaseId: string; version: string }[]>();
        for (const r of rows) byProgram.set(r.miniProgramId, [...(byProgram.get(r.miniProgramId) ?? []), r]);
        return byProgram;
      });
      loading.catch(() => {
        if (this.steered === loading) this.steered = undefined;
      });
      this.steered = loading;
    }
    return this.steered;
  }

  /** Writes what is pending, after the checks under way. Concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      await Promise.all([...this.inFlight]);
      await this.write();
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.db.transaction().execute(async (trx) => {
        const repo = new AutopilotRepository(trx);
        const alive = await repo.existing([...new Set(rows.map((r) => r.releaseId))], [...new Set(rows.map((r) => r.hostAppId))]);
        await repo.record(rows.filter((r) => alive.releases.has(r.releaseId) && alive.hostApps.has(r.hostAppId)));
      });
    } catch (err) {
      for (const r of rows) {
        const k = `${r.releaseId}\n${r.hostAppId}\n${r.deviceId}`;
        const now = this.pending.get(k);
        if (!now && this.pending.size < MAX_PENDING) this.pending.set(k, r);
        else if (now) {
          now.launchedAt ??= r.launchedAt;
          now.failedAt ??= r.failedAt;
        }
      }
      this.log.error({ err: { message: (err as Error).message } }, 'could not write the autopilot device reports');
      throw err;
    }
  }
}
