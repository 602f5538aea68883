import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * Operations: a `meta` table for facts about the installation itself (the check value of the master key, which
 * lets a start with another key be refused before anything is sealed with it), and host apps that can be
 * disabled (`disabled_at`, null while enabled) without deleting their configuration.
 */
export function operations({ dialect }: MigrationContext) {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('meta')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', timestampType(dialect), (c) => c.notNull())
        .execute();
      await db.schema.alterTable('host_apps').addColumn('disabled_at', timestampType(dialect)).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('host_apps').dropColumn('disabled_at').execute();
      await db.schema.dropTable('meta').ifExists().execute();
    },
  };
}
