import cluster from 'node:cluster';
import type { Change, ChangeTransport } from './change-bus.js';

/** The IPC message that carries a change between the workers of one `MPOP_WORKERS` cluster. */
export interface ChangeMessage {
  mpop: 'change';
  change: Change;
}

export const isChangeMessage = (m: unknown): m is ChangeMessage =>
  typeof m === 'object' && m !== null && (m as ChangeMessage).mpop === 'change' && typeof (m as ChangeMessage).change === 'object';

/**
 * Carries changes between the worker processes of one cluster on SQLite (PostgreSQL has LISTEN/NOTIFY): a worker
 * sends each change to the primary, which hands it to every other worker (see main.ts).
 */
export class ClusterIpcTransport implements ChangeTransport {
  private listener?: (message: unknown) => void;

  static available(): boolean {
    return cluster.isWorker && typeof process.send === 'function';
  }

  async publish(change: Change): Promise<void> {
    const message: ChangeMessage = { mpop: 'change', change };
    await new Promise<void>((resolve, reject) => process.send!(message, undefined, undefined, (err) => (err ? reject(err) : resolve())));
  }

  async subscribe(onChange: (change: Change) => void): Promise<void> {
    this.listener = (message) => {
      if (isChangeMessage(message)) onChange(message.change);
    };
    process.on('message', this.listener);
  }

  async close(): Promise<void> {
    if (this.listener) process.off('message', this.listener);
  }
}
