import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * Webhooks and their durable delivery queue.
 * - `webhooks`: where to POST which events; the signing secret sealed with the master key.
 * - `webhook_deliveries`: one row per event per subscribed webhook, written in the transaction of the change that
 *   caused the event. `next_attempt_at` is when it is due (null once delivered or failed); a dispatcher claims a
 *   due row by moving `next_attempt_at` past the attempt's lease, so a crashed attempt is tried again later.
 */
export function webhooks({ dialect }: MigrationContext) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('webhooks')
        .addColumn('webhook_id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('url', 'varchar(2048)', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('description', 'varchar(200)')
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
        .execute();
      await (dialect === 'postgres'
        ? db.schema.createTable('webhook_deliveries').addColumn('id', 'bigserial', (c) => c.primaryKey())
        : db.schema.createTable('webhook_deliveries').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('webhook_id', 'varchar(36)', (c) => c.notNull().references('webhooks.webhook_id').onDelete('cascade'))
        .addColumn('message_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('event_type', 'varchar(64)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', ts)
        .addColumn('last_response_status', 'integer')
        .addColumn('last_error', 'varchar(200)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('delivered_at', ts)
        .execute();
      await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').column('next_attempt_at').execute();
      await db.schema.createIndex('webhook_deliveries_webhook_idx').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('webhook_deliveries').ifExists().execute();
      await db.schema.dropTable('webhooks').ifExists().execute();
    },
  };
}
