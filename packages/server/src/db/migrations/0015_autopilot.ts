import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * Releases that steer themselves, and failures by reason.
 * - `releases.autopilot`: JSON `{ steps, minMinutes, minDevices, maxFailureRate, onFailure, status, decisions }`;
 *   null for a release steered by hand. The state of a step lives here, so a restart carries on where it was.
 * - `autopilot_devices`: per autopilot release, one row per (host app, device) the gate served its version to and
 *   that reported launching it or failing: when it last did each (server time), so a step counts the devices heard
 *   from since it began. Written in batches, like the adoption rows.
 * - `failure_counts`: daily failure counters by version and reason (`''` when the device gave none).
 */
export function autopilot({ dialect }: MigrationContext) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('releases').addColumn('autopilot', 'text').execute();
      await db.schema
        .createTable('autopilot_devices')
        .addColumn('release_id', 'varchar(36)', (c) => c.notNull().references('releases.release_id').onDelete('cascade'))
        .addColumn('host_app_id', 'integer', (c) => c.notNull().references('host_apps.id').onDelete('cascade'))
        .addColumn('device_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('launched_at', ts)
        .addColumn('failed_at', ts)
        .addPrimaryKeyConstraint('autopilot_devices_pkey', ['release_id', 'host_app_id', 'device_id'])
        .execute();
      await db.schema.createIndex('autopilot_devices_host_app_idx').on('autopilot_devices').column('host_app_id').execute();
      await db.schema
        .createTable('failure_counts')
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull().references('mini_programs.mini_program_id').onDelete('cascade'))
        .addColumn('day', 'varchar(10)', (c) => c.notNull())
        .addColumn('host_app_id', 'integer', (c) => c.notNull().references('host_apps.id').onDelete('cascade'))
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('reason', 'varchar(200)', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('failure_counts_pkey', ['mini_program_id', 'day', 'host_app_id', 'version', 'reason'])
        .execute();
      await db.schema.createIndex('failure_counts_day_idx').on('failure_counts').column('day').execute();
      await db.schema.createIndex('failure_counts_host_app_idx').on('failure_counts').column('host_app_id').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('failure_counts').ifExists().execute();
      await db.schema.dropTable('autopilot_devices').ifExists().execute();
      await db.schema.alterTable('releases').dropColumn('autopilot').execute();
    },
  };
}
