import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { pgDriver } from './connect.js';
import { DatabaseInUseError, EXCLUSIVE_RUNNING, serverApplicationName, takeServerShare } from './server-presence.js';
import type { FastifyBaseLogger } from 'fastify';
import { type Change, type ChangeTransport, toChange } from '../lib/change-bus.js';

const CHANNEL = 'mpop_changes';

/**
 * The channel of an installation: `mpop_changes` in the `public` schema (what every earlier version used), else one
 * per schema, so that installations in separate schemas of one database never hear each other's changes.
 */
export function channelOf(schema: string): string {
  return schema === 'public' ? CHANNEL : `${CHANNEL}_${createHash('sha256').update(schema).digest('hex').slice(0, 24)}`;
}
const RECONNECT_MS = 1000;

/**
 * Carries changes between mpop processes that share one PostgreSQL, with LISTEN/NOTIFY (payload
 * `{ origin, change }`, `change` a `Change`): a deleted host app, a
 * revoked mini program or a rotated key is honoured by every instance within a notification's latency.
 * The listening connection is re-established until it succeeds; after a reconnect every cache is dropped, since
 * notifications may have been missed meanwhile.
 *
 * The same connection holds the server's shared advisory lock for as long as it lives (server-presence.ts): while
 * any server runs, the master key rotation refuses to start, and while a rotation runs, no server starts.
 */
export class PgNotifyTransport implements ChangeTransport {
  private readonly origin = randomUUID();
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private onChange: (change: Change) => void = () => {};
  /** Set by the first connection (the schema of the connection string); see channelOf. */
  private channel?: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connectionString: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  async publish(change: Change): Promise<void> {
    this.channel ??= channelOf((await this.pool.query<{ s: string }>('select current_schema() as s')).rows[0]?.s ?? 'public');
    await this.pool.query('select pg_notify($1, $2)', [this.channel, JSON.stringify({ origin: this.origin, change })]);
  }

  /** The first connection must succeed (start-up fails loudly otherwise); later losses are repaired in the background. */
  async subscribe(onChange: (change: Change) => void): Promise<void> {
    this.onChange = onChange;
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new (pgDriver().Client)({ connectionString: this.connectionString, application_name: serverApplicationName() });
    // Every client keeps an error listener for life: pg emits 'error' on an unexpected end, and an unheard
    // 'error' event would crash the process.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      try {
        const { origin, change } = JSON.parse(msg.payload ?? '{}') as { origin: string; change: unknown };
        // Older instances send the old kind names (`host-app`, `mini-programs`): toChange reads both. Older
        // instances reading ours drop every cached view for a kind they do not know: safe, if less precise.
        if (origin !== this.origin) this.onChange(toChange(change));
      } catch {
        this.onChange({ kind: 'all-gate-views' });
      }
    });
    try {
      await client.connect();
      this.channel ??= channelOf((await client.query<{ s: string }>('select current_schema() as s')).rows[0]?.s ?? 'public');
      await client.query(`LISTEN ${this.channel}`);
      if (!(await takeServerShare(client))) throw new DatabaseInUseError(EXCLUSIVE_RUNNING);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client, err?: Error) {
    if (client !== this.client || this.closed) return; // a client already given up, or shutting down
    this.client = undefined;
    this.log.warn({ err: err && { message: err.message } }, 'change listener lost its PostgreSQL connection; reconnecting');
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect() {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect().then(
        () => this.onChange({ kind: 'all-gate-views' }),
        () => this.scheduleReconnect(),
      );
    }, RECONNECT_MS);
    this.timer.unref();
  }
}
