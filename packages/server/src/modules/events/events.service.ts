import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Adoption, AdoptionQuery, EventsAccepted, EventsRequest } from '@mpop/contracts';
import type { Database, DeviceVersionsTable, EventCountsTable } from '../../db/schema.js';
import { AppError, notFound, validationFailed } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { compareVersions } from '../mini-programs/versions.js';
import { EventsRepository, type AdoptionScope } from './events.repository.js';

const DAY_MS = 86_400_000;
/** A device clock this far ahead is believed; beyond it the event is taken as happening now. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Pending rows beyond which a flush starts at once instead of waiting for the timer. */
const FLUSH_AT_ROWS = 20_000;
/** Pending rows kept while the database cannot be written; beyond this, events are dropped (and logged). */
const MAX_PENDING_ROWS = 200_000;
const MAX_CACHED_HOST_APPS = 10_000;

export interface EventsOptions {
  retentionDays: number;
  /** How often buffered events are written (ms). */
  flushIntervalMs?: number;
  /** How often the retention sweep runs (ms). */
  sweepIntervalMs?: number;
}

/**
 * Host app events and adoption. Writes scale with the fleet, not with the events: a batch only updates in-memory
 * maps (the latest version per device, counters per day/version/type), which are written every few seconds as
 * multi-row upserts. A crash loses at most that interval of events, which adoption figures tolerate.
 */
export class EventsService {
  private latest = new Map<string, DeviceVersionsTable>();
  private counts = new Map<string, EventCountsTable>();
  private readonly hostApps = new Map<string, { id: number; disabled: boolean }>();
  private readonly knownMiniPrograms = new Set<string>();
  private flushing: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    changes: ChangeBus,
    private readonly log: FastifyBaseLogger,
    private readonly options: EventsOptions,
  ) {
    changes.onInvalidate((c) => {
      if (c.kind === 'host-app-gate') this.hostApps.delete(`${c.workspaceId}\n${c.appId}`);
    });
  }

  /** Starts the periodic flush and retention sweep (one sweep right away). */
  start(): void {
    const flush = setInterval(() => void this.flush().catch(() => {}), this.options.flushIntervalMs ?? 2000);
    const sweep = setInterval(() => void this.sweep().catch(() => {}), this.options.sweepIntervalMs ?? 3600_000);
    for (const t of [flush, sweep]) t.unref();
    this.timers.push(flush, sweep);
    void this.sweep().catch(() => {});
  }

  /** Stops the timers and writes what is pending. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.flush().catch(() => {});
  }

  /** Takes one batch of a device's events. Events naming a mini program the platform does not know are ignored. */
  async record(req: EventsRequest, now = Date.now()): Promise<EventsAccepted> {
    const hostApp = await this.hostApp(req.workspaceId, req.appId);
    if (hostApp === undefined) {
      throw new AppError(
        'HOST_APP_NOT_REGISTERED',
        `The app ${req.appId} is not in the Host App list of workspace ${req.workspaceId}; only listed apps may report events.`,
      );
    }
    if (hostApp.disabled) {
      throw new AppError(
        'HOST_APP_DISABLED',
        `The host app ${req.appId} of workspace ${req.workspaceId} is disabled; an operator can enable it again in the console.`,
      );
    }
    const hostAppId = hostApp.id;
    const known = await this.knownOf(req.events.map((e) => e.miniProgramId));
    const oldest = now - this.options.retentionDays * DAY_MS;
    let accepted = 0;
    for (const e of req.events) {
      const at = e.at ? Date.parse(e.at) : now;
      if (!known.has(e.miniProgramId) || at < oldest) continue; // unknown, or already past the retention
      const when = new Date(at > now + CLOCK_SKEW_MS ? now : at).toISOString();
      const day = when.slice(0, 10);
      const ck = [day, hostAppId, e.miniProgramId, e.version, e.type].join('\n');
      const counter = this.counts.get(ck);
      if (counter) counter.count++;
      else this.counts.set(ck, { day, hostAppId, miniProgramId: e.miniProgramId, version: e.version, type: e.type, count: 1 });
      // A failure names a version that did not load: it says nothing about what the device runs.
      if (e.type !== 'failure') {
        const lk = [hostAppId, e.miniProgramId, req.deviceId].join('\n');
        const prev = this.latest.get(lk);
        if (!prev || prev.reportedAt <= when) {
          this.latest.set(lk, { hostAppId, miniProgramId: e.miniProgramId, deviceId: req.deviceId, version: e.version, reportedAt: when });
        }
      }
      accepted++;
    }
    if (this.latest.size + this.counts.size >= FLUSH_AT_ROWS) void this.flush().catch(() => {});
    return { accepted, ignored: req.events.length - accepted };
  }

  /** Writes the buffered rows. Concurrent calls queue behind each other; each writes what was pending when it ran. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.latest.size === 0 && this.counts.size === 0) return;
    const latest = this.latest;
    const counts = this.counts;
    this.latest = new Map();
    this.counts = new Map();
    try {
      await this.db.transaction().execute(async (trx) => {
        const repo = new EventsRepository(trx);
        const alive = await repo.existingHostApps([...new Set([...counts.values()].map((r) => r.hostAppId))]);
        await repo.upsertLatest([...latest.values()].filter((r) => alive.has(r.hostAppId)));
        await repo.addCounts([...counts.values()].filter((r) => alive.has(r.hostAppId)));
      });
    } catch (err) {
      // Keep them for the next flush (newer reports and counts that arrived meanwhile win or add up).
      this.requeue(latest, counts);
      this.log.error({ err: { message: (err as Error).message }, pending: this.latest.size + this.counts.size }, 'could not write events');
      throw err;
    }
  }

  private requeue(latest: Map<string, DeviceVersionsTable>, counts: Map<string, EventCountsTable>) {
    if (this.latest.size + this.counts.size + latest.size + counts.size > MAX_PENDING_ROWS) {
      this.log.warn({ dropped: latest.size + counts.size }, 'event buffer full while the database is unavailable: events dropped');
      return;
    }
    for (const [k, row] of latest) {
      const now = this.latest.get(k);
      if (!now || now.reportedAt < row.reportedAt) this.latest.set(k, row);
    }
    for (const [k, row] of counts) {
      const now = this.counts.get(k);
      if (now) now.count += row.count;
      else this.counts.set(k, row);
    }
  }

  /** Deletes adoption data older than the retention. */
  async sweep(now = Date.now()): Promise<{ devices: number; counters: number }> {
    const before = new Date(now - this.options.retentionDays * DAY_MS).toISOString();
    try {
      const result = await new EventsRepository(this.db).sweep(before, before.slice(0, 10));
      if (result.devices || result.counters) this.log.info({ ...result, before }, 'swept adoption data past the retention');
      return result;
    } catch (err) {
      this.log.error({ err: { message: (err as Error).message } }, 'adoption retention sweep failed');
      throw err;
    }
  }

  /** Devices per version (latest report within the window) and event counts, for one host app or all. */
  async adoption(miniProgramId: string, q: AdoptionQuery, now = Date.now()): Promise<Adoption> {
    const repo = new EventsRepository(this.db);
    if (!(await repo.miniProgramExists(miniProgramId))) throw notFound(`The mini program ${miniProgramId}`);
    const scope: AdoptionScope = { miniProgramId, workspaceId: q.workspaceId || undefined };
    if (q.appId) {
      if (!q.workspaceId) throw validationFailed('workspaceId', 'Name the workspace of the host app (workspaceId) along with appId.');
      const id = await repo.hostAppId(q.workspaceId, q.appId);
      if (id === undefined) throw notFound(`The host app ${q.appId} in workspace ${q.workspaceId}`);
      scope.hostAppId = id;
    }
    // This instance's own pending events are part of the answer; other instances' arrive within their interval.
    await this.flush().catch(() => {});
    const days = q.days ?? 7;
    const since = new Date(now - days * DAY_MS).toISOString();
    const [perVersion, events] = await Promise.all([repo.devicesPerVersion(scope, since), repo.eventCounts(scope, since.slice(0, 10))]);
    const total = perVersion.reduce((n, v) => n + v.devices, 0);
    return {
      since,
      versions: perVersion
        .sort((a, b) => compareVersions(b.version, a.version))
        .map((v) => ({ ...v, share: total ? Math.round((v.devices / total) * 10_000) / 10_000 : 0 })),
      events,
    };
  }

  private async hostApp(workspaceId: string, appId: string): Promise<{ id: number; disabled: boolean } | undefined> {
    const k = `${workspaceId}\n${appId}`;
    const hit = this.hostApps.get(k);
    if (hit !== undefined) return hit;
    // Only found apps are remembered: an app added later must be heard at once. Deletions, disabling and enabling
    // drop the entry (ChangeBus).
    const found = await new EventsRepository(this.db).hostApp(workspaceId, appId);
    if (found !== undefined) {
      if (this.hostApps.size >= MAX_CACHED_HOST_APPS) this.hostApps.delete(this.hostApps.keys().next().value!);
      this.hostApps.set(k, found);
    }
    return found;
  }

  private async knownOf(ids: string[]): Promise<Set<string>> {
    const unknown = [...new Set(ids)].filter((id) => !this.knownMiniPrograms.has(id));
    if (unknown.length > 0) {
      for (const id of await new EventsRepository(this.db).existingMiniPrograms(unknown)) this.knownMiniPrograms.add(id);
    }
    return this.knownMiniPrograms;
  }
}
