import { EventEmitter } from 'node:events';

/** What a committed change makes stale, named by the cached views it invalidates (here and in other processes). */
export type Change =
  /** The gate's view of one host app: it was deleted, configured or re-keyed, or a mini program was (de)authorised for it. */
  | { kind: 'host-app-gate'; workspaceId: string; appId: string }
  /**
   * Signatures were made for these host apps (`[workspaceId, appId]` pairs): their gate views gain what was signed.
   * A signing job publishes one per batch it writes, so host apps see a release as their batch lands, not at the end.
   */
  | { kind: 'signatures-made'; hostApps: [workspaceId: string, appId: string][] }
  /** Every host app's gate view: a release, a take-down, a roll-back. */
  | { kind: 'all-gate-views' };

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
  return { kind: 'all-gate-views' };
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

  async publish(c: Change): Promise<void> {
    this.local.emit('change', c);
    try {
      await this.transport?.publish(c);
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
