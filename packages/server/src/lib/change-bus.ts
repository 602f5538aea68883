import { EventEmitter } from 'node:events';

/** What changed, as far as caches of other parts (and other processes) care. */
export type Change = { kind: 'host-app'; workspaceId: string; appId: string } | { kind: 'mini-programs' };

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
    await this.transport?.subscribe((c) => this.local.emit('change', c));
  }

  async publish(change: Change): Promise<void> {
    this.local.emit('change', change);
    try {
      await this.transport?.publish(change);
    } catch (err) {
      // Other instances miss this one; their listeners drop every cache when they reconnect.
      this.onTransportError(err);
    }
  }

  onChange(listener: (change: Change) => void): void {
    this.local.on('change', listener);
  }

  async close(): Promise<void> {
    this.local.removeAllListeners();
    await this.transport?.close();
  }
}
