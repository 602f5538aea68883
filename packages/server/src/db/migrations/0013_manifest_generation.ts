import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * Signed gate answers (manifests) carry a generation that never goes down for a host app. One installation-wide
 * counter (`generation_counter`, one row) is raised by every change that can change an answer, in that change's
 * transaction; the host apps it touches take its new value (`host_apps.generation`). A host app deleted and made
 * again, or a restore, therefore never hands out a generation below one devices have seen (see restore.service.ts).
 * The counter's row is made by the first change (a restore rebuilds this schema, then inserts the backup's row).
 * Replaced keys gain `revoked_at`: an operator retired them ahead of time, and manifests name them as revoked.
 */
export function manifestGeneration(ctx: MigrationContext) {
  const ts = timestampType(ctx.dialect);
  return {
    up: async (db: Kysely<any>) => {
      await db.schema
        .createTable('generation_counter')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .alterTable('host_apps')
        .addColumn('generation', 'bigint', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable('host_app_previous_keys').addColumn('revoked_at', ts).execute();
    },
    down: async (db: Kysely<any>) => {
      await db.schema.alterTable('host_app_previous_keys').dropColumn('revoked_at').execute();
      await db.schema.alterTable('host_apps').dropColumn('generation').execute();
      await db.schema.dropTable('generation_counter').execute();
    },
  };
}
