import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * The host app integration kit: replaced public keys (listed in the config file for a while after a rotation),
 * and adoption, stored so that it scales with the fleet, not with the events: one row per (host app, mini
 * program, device) holding the latest version the device reported, and daily counters per (day, host app, mini
 * program, version, event type). Both are swept after MPOP_EVENTS_RETENTION_DAYS.
 */
export function integrationKit({ dialect }: MigrationContext) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('host_app_previous_keys')
        .addColumn('host_app_id', 'integer', (c) => c.notNull().references('host_apps.id').onDelete('cascade'))
        .addColumn('key_fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('public_key_pem', 'text', (c) => c.notNull())
        .addColumn('retired_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('host_app_previous_keys_pkey', ['host_app_id', 'key_fingerprint'])
        .execute();

      await db.schema
        .createTable('device_versions')
        .addColumn('host_app_id', 'integer', (c) => c.notNull().references('host_apps.id').onDelete('cascade'))
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull())
        .addColumn('device_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('reported_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('device_versions_pkey', ['host_app_id', 'mini_program_id', 'device_id'])
        .execute();
      // Adoption over every host app (by mini program and window), and the retention sweep.
      await db.schema
        .createIndex('device_versions_mini_program_idx')
        .on('device_versions')
        .columns(['mini_program_id', 'reported_at'])
        .execute();
      await db.schema.createIndex('device_versions_reported_at_idx').on('device_versions').column('reported_at').execute();

      await db.schema
        .createTable('event_counts')
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull())
        .addColumn('day', 'varchar(10)', (c) => c.notNull()) // YYYY-MM-DD, UTC
        .addColumn('host_app_id', 'integer', (c) => c.notNull().references('host_apps.id').onDelete('cascade'))
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('event_counts_pkey', ['mini_program_id', 'day', 'host_app_id', 'version', 'type'])
        .execute();
      await db.schema.createIndex('event_counts_day_idx').on('event_counts').column('day').execute();
      await db.schema.createIndex('event_counts_host_app_idx').on('event_counts').column('host_app_id').execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['event_counts', 'device_versions', 'host_app_previous_keys']) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
