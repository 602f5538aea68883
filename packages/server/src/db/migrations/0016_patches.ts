import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * Patches between package versions, and what they saved.
 * - `package_patches`: one row per (mini program, from version, to version), queued in the transaction of the
 *   release that asks for it, so the work survives a restart. An instance claims a queued row by moving it to
 *   `running` with a lease (`lease_until`); a row whose lease ran out (its instance died) is claimed again. A kept
 *   patch is in the package store under its own SHA-256.
 * - `event_counts` gains `patched` (download events rebuilt from a patch) and `bytes_saved` (what they did not
 *   transfer), added up like `count`.
 */
export function patches({ dialect }: MigrationContext) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<any>) {
      await (dialect === 'postgres'
        ? db.schema.createTable('package_patches').addColumn('id', 'bigserial', (c) => c.primaryKey())
        : db.schema.createTable('package_patches').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull().references('mini_programs.mini_program_id').onDelete('cascade'))
        .addColumn('from_version', 'varchar(64)', (c) => c.notNull())
        .addColumn('to_version', 'varchar(64)', (c) => c.notNull())
        .addColumn('from_sha256', 'char(64)', (c) => c.notNull())
        .addColumn('to_sha256', 'char(64)', (c) => c.notNull())
        .addColumn('format', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('full_size', 'bigint')
        .addColumn('size', 'bigint')
        .addColumn('sha256', 'char(64)')
        .addColumn('note_code', 'varchar(16)')
        .addColumn('note', 'varchar(500)')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_until', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('finished_at', ts)
        .addUniqueConstraint('package_patches_versions_uq', ['mini_program_id', 'from_version', 'to_version'])
        .execute();
      await db.schema.createIndex('package_patches_status_idx').on('package_patches').columns(['status', 'id']).execute();
      await db.schema
        .alterTable('event_counts')
        .addColumn('patched', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('event_counts')
        .addColumn('bytes_saved', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('event_counts').dropColumn('bytes_saved').execute();
      await db.schema.alterTable('event_counts').dropColumn('patched').execute();
      await db.schema.dropTable('package_patches').ifExists().execute();
    },
  };
}
