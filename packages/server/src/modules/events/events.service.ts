import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Adoption, AdoptionQuery, EventsAccepted, EventsRequest, EventType } from '@mpop/contracts';
import type { Database, DeviceVersionsTable, EventCountsTable, FailureCountsTable } from '../../db/schema.js';
import { AppError, notFound, validationFailed } from '../../lib/app-error.js';
import type { ChangeBus } from '../../lib/change-bus.js';
import { compareVersions } from '../mini-programs/versions.js';
import { EventsRepository, type AdoptionScope } from './events.repository.js';

const DAY_MS = 86_400_000;
/** Pending rows beyond which a flush starts at once instead of waiting for the timer. */
const FLUSH_AT_ROWS = 20_000;
/** Pending rows kept while the database cannot be written; beyond this, events are dropped (and logged). */
const MAX_PENDING_ROWS = 200_000;
const MAX_CACHED_HOST_APPS = 10_000;
const MAX_CACHED_MINI_PROGRAMS = 10_000;
/** A version not (yet) in a mini program's cached list makes it read again, at most this often (ms). */
const VERSIONS_REFRESH_MS = 1000;
/** Addresses tracked per minute (memory bound); events from further addresses in that minute are ignored. */
const MAX_TRACKED_ADDRESSES = 100_000;
/**
 * Distinct failure reasons kept per host app, mini program, version and day by one instance; further ones are
 * counted as OTHER_REASONS, so invented reasons cannot grow the table without bound.
 */
const MAX_REASONS = 20;
export const OTHER_REASONS = '(other reasons)';
const FAILURE_REASON_MAX = 200;

/** A launch or a failure the events service took, told to whoever follows them (the autopilot). */
export interface Outcome {
  hostAppId: number;
  workspaceId: string;
  appId: string;
  deviceId: string;
  miniProgramId: string;
  version: string;
  type: 'launch' | 'failure';
  /** When it arrived (server time). */
  now: number;
}

/** The reason of a failure event: `detail.reason`, or the first 200 characters of a sentence; trimmed, one line. */
export function failureReason(detail: EventsRequest['events'][number]['detail']): string {
  const raw = typeof detail === 'string' ? detail : detail && 'reason' in detail ? (detail.reason ?? '') : '';
  return [...raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()].slice(0, FAILURE_REASON_MAX).join('').trim();
}

/** What decides whether a host app's events are taken (loaded once, dropped on any change to the host app). */
interface EventsView {
  id: number;
  disabled: boolean;
  configured: boolean;
  authorised: Set<string>;
}

export interface EventsOptions {
  retentionDays: number;
  /**
   * Distinct devices (per host app) whose events one client address may have recorded per minute
   * (MPOP_EVENTS_DEVICES_PER_ADDRESS; 0 or absent: no bound); the events of further devices are ignored until the
   * next minute. A device has one adoption row per (host app, mini program), and counters exist only for
   * authorised mini programs and uploaded versions, so this bounds what one address can add in a minute.
   */
  devicesPerAddress?: number;
  /** How often buffered events are written (ms). */
  flushIntervalMs?: number;
  /** How often the retention sweep runs (ms). */
  sweepIntervalMs?: number;
}

/**
 * Host app events and adoption. Writes scale with the fleet, not with the events: a batch only updates in-memory
 * maps (the latest version per device, counters per day/version/type), which are written every few seconds as
 * multi-row upserts. A crash loses at most that interval of events, which adoption figures tolerate.
 *
 * The endpoint is unauthenticated, so what it may store is bounded by the platform's own data, not by the caller:
 * an event is taken only for a configured, enabled host app, a mini program authorised for it and a version
 * uploaded for that mini program, dated within the retention (a date in the future counts as now), and only for a
 * bounded number of devices per client address and minute. Everything else is ignored (and counted as such).
 * The checks are answered from memory: one host app's view and each mini program's versions are read once.
 */
export class EventsService {
  private latest = new Map<string, DeviceVersionsTable>();
  private counts = new Map<string, EventCountsTable>();
  private failures = new Map<string, FailureCountsTable>();
  /** The reasons seen per (day, host app, mini program, version), to bound them (MAX_REASONS). */
  private reasons = new Map<string, Set<string>>();
  private reasonsDay = '';
  private readonly hostApps = new Map<string, EventsView>();
  private readonly versions = new Map<string, { set: Promise<Set<string>>; loadedAt: number }>();
  /** Counts changes: a view loaded while one arrived may be stale, so it is used once and not kept. */
  private generation = 0;
  private addressMinute = -1;
  private readonly addresses = new Map<string, Set<string>>();
  private flushing: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  /** Told about every event of an answered batch, taken or ignored (metrics). */
  observer: { event(type: EventType, accepted: boolean): void } = { event() {} };
  /** Told about every launch and failure taken (the autopilot counts the devices of its releases' steps). */
  onOutcome: (o: Outcome) => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    changes: ChangeBus,
    private readonly log: FastifyBaseLogger,
    private readonly options: EventsOptions,
  ) {
    changes.onInvalidate((c) => {
      if (c.kind === 'signatures-made' || c.kind === 'patches-made') return; // they change nothing the intake checks
      this.generation++;
      if (c.kind === 'host-app-gate') this.hostApps.delete(`${c.workspaceId}\n${c.appId}`);
      else {
        this.hostApps.clear();
        this.versions.clear();
      }
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

  /**
   * Takes one batch of a device's events. Events are ignored (counted in `ignored`) when the host app has no
   * development configuration, the mini program is not authorised for it, the version was never uploaded, the
   * event is older than the retention, or the client address has reached its devices for this minute.
   */
  async record(req: EventsRequest, opts: { address?: string; now?: number } = {}): Promise<EventsAccepted> {
    const now = opts.now ?? Date.now();
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
    const oldest = now - this.options.retentionDays * DAY_MS;
    // Which events name an authorised mini program and one of its uploaded versions, within the retention.
    const taken: { e: EventsRequest['events'][number]; at: number }[] = [];
    const wanted = new Map<string, Set<string>>();
    for (const e of req.events) {
      if (!hostApp.configured || !hostApp.authorised.has(e.miniProgramId)) continue;
      const set = wanted.get(e.miniProgramId);
      if (set) set.add(e.version);
      else wanted.set(e.miniProgramId, new Set([e.version]));
    }
    const uploaded = new Map<string, Set<string>>();
    for (const [id, versions] of wanted) uploaded.set(id, await this.versionsOf(id, versions, now));
    for (const e of req.events) {
      // A device clock ahead of ours is not believed: the event happened now at the latest.
      const at = Math.min(e.at ? Date.parse(e.at) : now, now);
      if (uploaded.get(e.miniProgramId)?.has(e.version) && at >= oldest) taken.push({ e, at });
    }
    if (taken.length > 0 && !this.admit(opts.address, `${hostAppId}\n${req.deviceId}`, now)) taken.length = 0;

    const chosen = new Set(taken.map((t) => t.e));
    for (const e of req.events) if (!chosen.has(e)) this.observer.event(e.type, false);
    for (const { e, at } of taken) {
      const when = new Date(at).toISOString();
      const day = when.slice(0, 10);
      const ck = [day, hostAppId, e.miniProgramId, e.version, e.type].join('\n');
      // A download rebuilt from a patch says so, and what it saved (adoption adds them up).
      const download = e.type === 'download' && typeof e.detail === 'object' && 'patch' in e.detail ? e.detail : undefined;
      const patch = download?.patch === true;
      const saved = patch ? (download?.bytesSaved ?? 0) : 0;
      const counter = this.counts.get(ck);
      if (counter) {
        counter.count++;
        if (patch) {
          counter.patched++;
          counter.bytesSaved += saved;
        }
      } else {
        this.counts.set(ck, {
          day,
          hostAppId,
          miniProgramId: e.miniProgramId,
          version: e.version,
          type: e.type,
          count: 1,
          patched: patch ? 1 : 0,
          bytesSaved: saved,
        });
      }
      if (e.type === 'failure') this.countFailure(day, hostAppId, e.miniProgramId, e.version, failureReason(e.detail));
      if (e.type === 'launch' || e.type === 'failure') {
        const { workspaceId, appId, deviceId } = req;
        this.onOutcome({ hostAppId, workspaceId, appId, deviceId, miniProgramId: e.miniProgramId, version: e.version, type: e.type, now });
      }
      // A failure names a version that did not load: it says nothing about what the device runs.
      if (e.type !== 'failure') {
        const lk = [hostAppId, e.miniProgramId, req.deviceId].join('\n');
        const prev = this.latest.get(lk);
        if (!prev || prev.reportedAt <= when) {
          this.latest.set(lk, { hostAppId, miniProgramId: e.miniProgramId, deviceId: req.deviceId, version: e.version, reportedAt: when });
        }
      }
      this.observer.event(e.type, true);
    }
    if (this.latest.size + this.counts.size + this.failures.size >= FLUSH_AT_ROWS) void this.flush().catch(() => {});
    return { accepted: taken.length, ignored: req.events.length - taken.length };
  }

  private countFailure(day: string, hostAppId: number, miniProgramId: string, version: string, raw: string) {
    if (day !== this.reasonsDay) {
      this.reasons.clear();
      this.reasonsDay = day;
    }
    const rk = [hostAppId, miniProgramId, version].join('\n');
    let seen = this.reasons.get(rk);
    if (!seen) {
      seen = new Set();
      if (this.reasons.size < MAX_TRACKED_ADDRESSES) this.reasons.set(rk, seen);
    }
    let reason = raw;
    if (!seen.has(reason)) {
      if (seen.size >= MAX_REASONS) reason = OTHER_REASONS;
      else seen.add(reason);
    }
    const k = [day, hostAppId, miniProgramId, version, reason].join('\n');
    const row = this.failures.get(k);
    if (row) row.count++;
    else this.failures.set(k, { day, hostAppId, miniProgramId, version, reason, count: 1 });
  }

  /**
   * Whether a client address may record events of this device in the current minute: each address may name at
   * most `devicesPerAddress` devices a minute (the per-address request limit alone would let one address invent a
   * new device ID, so a new adoption row, with every request).
   */
  private admit(address: string | undefined, device: string, now: number): boolean {
    const max = this.options.devicesPerAddress ?? 0;
    if (address === undefined || max === 0) return true;
    const minute = Math.floor(now / 60_000);
    if (minute !== this.addressMinute) {
      this.addresses.clear();
      this.addressMinute = minute;
    }
    let devices = this.addresses.get(address);
    if (!devices) {
      if (this.addresses.size >= MAX_TRACKED_ADDRESSES) return false;
      devices = new Set();
      this.addresses.set(address, devices);
    }
    if (devices.has(device)) return true;
    if (devices.size >= max) return false;
    devices.add(device);
    return true;
  }

  /**
   * The uploaded versions of a mini program, from memory. A version missing from the list reads it again, at
   * most once a VERSIONS_REFRESH_MS per mini program, so a flood of invented versions costs no query per event.
   */
  private async versionsOf(miniProgramId: string, wanted: Set<string>, now: number): Promise<Set<string>> {
    const hit = this.versions.get(miniProgramId);
    if (hit) {
      const set = await hit.set;
      if (now - hit.loadedAt < VERSIONS_REFRESH_MS || [...wanted].every((v) => set.has(v))) return set;
    }
    const generation = this.generation;
    const set = new EventsRepository(this.db).versions(miniProgramId);
    set.then(
      () => generation !== this.generation && this.versions.delete(miniProgramId),
      () => this.versions.delete(miniProgramId),
    );
    if (!hit && this.versions.size >= MAX_CACHED_MINI_PROGRAMS) this.versions.delete(this.versions.keys().next().value!);
    this.versions.set(miniProgramId, { set, loadedAt: now });
    return set;
  }

  /** Writes the buffered rows. Concurrent calls queue behind each other; each writes what was pending when it ran. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.latest.size === 0 && this.counts.size === 0 && this.failures.size === 0) return;
    const latest = this.latest;
    const counts = this.counts;
    const failures = this.failures;
    this.latest = new Map();
    this.counts = new Map();
    this.failures = new Map();
    try {
      await this.db.transaction().execute(async (trx) => {
        const repo = new EventsRepository(trx);
        const alive = await repo.existingHostApps([...new Set([...counts.values()].map((r) => r.hostAppId))]);
        await repo.upsertLatest(
          [...latest.values()].filter((r) => alive.has(r.hostAppId)),
          new Date().toISOString(),
        );
        await repo.addCounts([...counts.values()].filter((r) => alive.has(r.hostAppId)));
        await repo.addFailures([...failures.values()].filter((r) => alive.has(r.hostAppId)));
      });
    } catch (err) {
      // Keep them for the next flush (newer reports and counts that arrived meanwhile win or add up).
      this.requeue(latest, counts);
      this.requeueFailures(failures);
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
      if (now) {
        now.count += row.count;
        now.patched += row.patched;
        now.bytesSaved += row.bytesSaved;
      } else this.counts.set(k, row);
    }
  }

  private requeueFailures(failures: Map<string, FailureCountsTable>) {
    if (this.failures.size + failures.size > MAX_PENDING_ROWS) return;
    for (const [k, row] of failures) {
      const now = this.failures.get(k);
      if (now) now.count += row.count;
      else this.failures.set(k, row);
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
    const [perVersion, events, failures, patches] = await Promise.all([
      repo.devicesPerVersion(scope, since),
      repo.eventCounts(scope, since.slice(0, 10)),
      repo.failures(scope, since.slice(0, 10)),
      repo.patchSavings(scope, since.slice(0, 10)),
    ]);
    const total = perVersion.reduce((n, v) => n + v.devices, 0);
    return {
      since,
      versions: perVersion
        .sort((a, b) => compareVersions(b.version, a.version))
        .map((v) => ({ ...v, share: total ? Math.round((v.devices / total) * 10_000) / 10_000 : 0 })),
      events,
      failures,
      patches,
    };
  }

  private async hostApp(workspaceId: string, appId: string): Promise<EventsView | undefined> {
    const k = `${workspaceId}\n${appId}`;
    const hit = this.hostApps.get(k);
    if (hit !== undefined) return hit;
    // Only found apps are remembered: an app added later must be heard at once. Deletions, disabling, enabling,
    // configuration and (de)authorisations drop the entry (ChangeBus).
    const generation = this.generation;
    const found = await new EventsRepository(this.db).eventsView(workspaceId, appId);
    if (found !== undefined && generation === this.generation) {
      if (this.hostApps.size >= MAX_CACHED_HOST_APPS) this.hostApps.delete(this.hostApps.keys().next().value!);
      this.hostApps.set(k, found);
    }
    return found;
  }
}
