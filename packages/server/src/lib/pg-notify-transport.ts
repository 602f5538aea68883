import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import type { Change, ChangeTransport } from './change-bus.js';

const CHANNEL = 'mpop_changes';

/**
 * Carries changes between mpop processes that share one PostgreSQL, with LISTEN/NOTIFY: a deleted host app, a
 * revoked mini program or a rotated key is honoured by every instance within a notification's latency.
 * The listener reconnects on its own; after a reconnect every cache is dropped, since notifications may have been missed.
 */
export class PgNotifyTransport implements ChangeTransport {
  private readonly origin = randomUUID();
  private client?: pg.Client;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connectionString: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  async publish(change: Change): Promise<void> {
    await this.pool.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify({ origin: this.origin, change })]);
  }

  async subscribe(onChange: (change: Change) => void): Promise<void> {
    const connect = async (isReconnect: boolean) => {
      if (this.closed) return;
      const client = new pg.Client({ connectionString: this.connectionString });
      client.on('notification', (msg) => {
        try {
          const { origin, change } = JSON.parse(msg.payload ?? '{}') as { origin: string; change: Change };
          if (origin !== this.origin) onChange(change);
        } catch {
          onChange({ kind: 'mini-programs' });
        }
      });
      const retry = () => {
        if (this.closed) return;
        client.removeAllListeners();
        client.end().catch(() => {});
        setTimeout(() => void connect(true).catch(() => retry()), 1000).unref();
      };
      client.on('error', (err) => {
        this.log.warn({ err: { message: err.message } }, 'change listener lost its PostgreSQL connection; reconnecting');
        retry();
      });
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.client = client;
      if (isReconnect) onChange({ kind: 'mini-programs' });
    };
    await connect(false);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => {});
  }
}
