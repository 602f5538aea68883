import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * Controlled releases (gray rollout, rollback, take-down) and the signatures that bind a package to its host app
 * and mini program. Every mini program released before this migration gets one complete release, so the gate
 * keeps serving exactly what it served.
 */
export function releases({ dialect }: MigrationContext) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<any>) {
      const releasesTable =
        dialect === 'postgres'
          ? db.schema.createTable('releases').addColumn('id', 'serial', (c) => c.primaryKey())
          : db.schema.createTable('releases').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await releasesTable
        .addColumn('release_id', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull().references('mini_programs.mini_program_id').onDelete('cascade'))
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('previous_version', 'varchar(64)')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        // The percent set by the operator (at release, raise or pause) times 100; steps may raise it with the clock.
        .addColumn('percent_bp', 'integer', (c) => c.notNull())
        .addColumn('steps', 'text', (c) => c.notNull())
        .addColumn('paused_at', ts)
        .addColumn('device_count', 'integer', (c) => c.notNull())
        .addColumn('host_apps', 'text')
        .addColumn('mandatory', 'integer', (c) => c.notNull())
        .addColumn('note', 'varchar(500)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('releases_mini_program_id_idx').on('releases').columns(['mini_program_id', 'id']).execute();

      await db.schema
        .createTable('release_devices')
        .addColumn('release_id', 'varchar(36)', (c) => c.notNull().references('releases.release_id').onDelete('cascade'))
        .addColumn('device_id', 'varchar(128)', (c) => c.notNull())
        .addPrimaryKeyConstraint('release_devices_pkey', ['release_id', 'device_id'])
        .execute();

      await db.schema.alterTable('mini_programs').addColumn('current_release_id', 'varchar(36)').execute();

      await db.schema
        .createTable('binding_signatures')
        .addColumn('host_app_id', 'integer', (c) => c.notNull().references('host_apps.id').onDelete('cascade'))
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.notNull().references('mini_programs.mini_program_id').onDelete('cascade'))
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('key_fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('binding_signatures_pkey', ['host_app_id', 'mini_program_id', 'version', 'key_fingerprint'])
        .execute();

      await db.schema
        .createTable('signing_failures')
        .addColumn('key_fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('reason', 'varchar(500)', (c) => c.notNull())
        .addColumn('failed_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('signing_failures_pkey', ['key_fingerprint', 'sha256'])
        .execute();

      // What was released before is one complete release each.
      const released = await db
        .selectFrom('mini_programs')
        .select(['mini_program_id', 'released_version', 'updated_at'])
        .where('released_version', 'is not', null)
        .execute();
      for (const mp of released) {
        const releaseId = randomUUID();
        const at = mp.updated_at instanceof Date ? mp.updated_at.toISOString() : String(mp.updated_at);
        await db
          .insertInto('releases')
          .values({
            release_id: releaseId,
            mini_program_id: mp.mini_program_id,
            version: mp.released_version,
            previous_version: null,
            state: 'complete',
            percent_bp: 10_000,
            steps: '[]',
            paused_at: null,
            device_count: 0,
            host_apps: null,
            mandatory: 0,
            note: null,
            created_at: at,
            created_by: 'system',
            updated_at: at,
          })
          .execute();
        await db
          .updateTable('mini_programs')
          .set({ current_release_id: releaseId })
          .where('mini_program_id', '=', mp.mini_program_id)
          .execute();
      }
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('signing_failures').ifExists().execute();
      await db.schema.dropTable('binding_signatures').ifExists().execute();
      await db.schema.alterTable('mini_programs').dropColumn('current_release_id').execute();
      await db.schema.dropTable('release_devices').ifExists().execute();
      await db.schema.dropTable('releases').ifExists().execute();
    },
  };
}
