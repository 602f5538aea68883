import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * `signing_pending`: one row per signing job that has not finished (its scope: a host app, a mini program, both or
 * neither), written when the job starts and deleted when it has made every signature. A process that stops
 * mid-job leaves its row, and the next start resumes that scope alone: start-up does no work per host app. A job
 * that failed keeps its row (with `failed_at`), so a restart tries again, as does a later job of the same scope.
 * An installation upgraded to this (or restored from a backup) gets one row of the whole scope: its first start
 * checks everything once.
 */
export function signingPending({ dialect }: MigrationContext) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('signing_pending')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('host_app_id', 'integer', (c) => c.references('host_apps.id').onDelete('cascade'))
        .addColumn('mini_program_id', 'varchar(16)', (c) => c.references('mini_programs.mini_program_id').onDelete('cascade'))
        .addColumn('failed_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.insertInto('signing_pending').values({ id: randomUUID(), created_at: new Date().toISOString() }).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('signing_pending').ifExists().execute();
    },
  };
}
