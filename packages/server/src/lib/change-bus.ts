import { EventEmitter } from 'node:events';

/** What a committed change makes stale, named by the cached views it invalidates (here and in other processes). */
export type Change =
  /** The gate's view of one host app: it was deleted, configured or re-keyed, or a mini program was (de)authorised for it. */
  | { kind: 'host-app-gate'; workspaceId: string; appId: string }
  /**
   * Signatures were made for these host apps (`[workspaceId, appId]` pairs): their gate views gain what was signed.
   * A signing job publishes one per batch it writes (to other processes in parts of SIGNED_HOST_APPS_PER_CHANGE),
   * so host apps see a release as their batch lands, not at the end.
   */
  | { kind: 'signatures-made'; hostApps: [workspaceId: string, appId: string][] }
  /**
   * Patches to versions of this mini program were made: the gate views that serve it gain them (read again in the
   * background, the cached ones serving meanwhile); no other view changes.
   */
  | { kind: 'patches-made'; miniProgramId: string }
  /**
   * Every host app's gate view: a release, a take-down, a roll-back. `keep` (never sent to other processes) names
   * the views a signing job of this process is about to make signatures for: they are kept, serving what they
   * served, until that job's `signatures-made` for them, which replaces them at once (see GateService). `refresh`
   * (a roll-back, a take-down: what is served now needs no new package signature): every process reads the views
   * it dropped again at once and signs their new answers, instead of waiting for each host app's next request.
   */
  | { kind: 'all-gate-views'; keep?: readonly [workspaceId: string, appId: string][]; refresh?: boolean };

/** Host apps per `signatures-made` change: its JSON stays under PostgreSQL's 8,000-byte NOTIFY payload. */
export const SIGNED_HOST_APPS_PER_CHANGE = 48;

/**
 * Reads a change from another instance. Older instances name the same two changes `host-app` and `mini-programs`
 * (before they said what they invalidate); both namings are read during a rolling upgrade. Anything unknown (a newer
 * instance's kind) invalidates every view, to be safe.
 */
export function toChange(change: unknown): Change {
  const c = change as { kind?: unknown; workspaceId?: unknown; appId?: unknown } | null;
  if ((c?.kind === 'host-app-gate' || c?.kind === 'host-app') && typeof c.workspaceId === 'string' && typeof c.appId === 'string') {
    return { kind: 'host-app-gate', workspaceId: c.workspaceId, appId: c.appId };
  }
  const hostApps = (c as { hostApps?: unknown } | null)?.hostApps;
  if (
    c?.kind === 'signatures-made' &&
    Array.isArray(hostApps) &&
    hostApps.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string')
  ) {
    return { kind: 'signatures-made', hostApps: hostApps as [string, string][] };
  }
  if (c?.kind === 'patches-made' && typeof (c as { miniProgramId?: unknown }).miniProgramId === 'string') {
    return { kind: 'patches-made', miniProgramId: (c as { miniProgramId: string }).miniProgramId };
  }
  return c?.kind === 'all-gate-views' && (c as { refresh?: unknown }).refresh === true
    ? { kind: 'all-gate-views', refresh: true }
    : { kind: 'all-gate-views' };
}

/** Carries changes to other processes sharing the database (PostgreSQL NOTIFY, Redis pub/sub). */
export interface ChangeTransport {
  publish(change: Change): Promise<void>;
  subscribe(onChange: (change: Change) => void): Promise<void>;
  close(): Promise<void>;
}

/**
 * Tells this process's caches, and through the transport every other process's, that something changed.
 * Services call `publish` after their transaction commits.
 */
export class ChangeBus {
  private readonly local = new EventEmitter();

  constructor(
    private readonly transport?: ChangeTransport,
    /** Transport failures are reported here, not to the caller: the change itself has already been committed. */
    private readonly onTransportError: (err: unknown) => void = () => {},
  ) {}

  async start(): Promise<void> {
    await this.transport?.subscribe((c) => this.local.emit('change', toChange(c)));
  }

  /**
   * Tells this process `c`, and every other process `remote` (by default `c` itself; a list goes as that many
   * notifications: one change too large for one, or one that says more here than elsewhere).
   */
  async publish(c: Change, remote: Change | readonly Change[] = c): Promise<void> {
    this.local.emit('change', c);
    try {
      for (const part of Array.isArray(remote) ? remote : [remote]) await this.transport?.publish(part as Change);
    } catch (err) {
      // Other instances miss this one; their listeners drop every cache when they reconnect.
      this.onTransportError(err);
    }
  }

  /** Calls `listener` with every change, here or in another process. */
  onInvalidate(listener: (change: Change) => void): void {
    this.local.on('change', listener);
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
    await this.transport?.close();
  }
}
