import type { Kysely } from 'kysely';
import { timestampType } from './column-types.js';
import type { MigrationContext } from './index.js';

/**
 * Release keys: the public keys an organisation registers so that its packages carry a signature the server
 * cannot make.
 * - `release_keys`: one row per key of an organisation (public half only; the same key may serve two
 *   organisations). Removing a key deletes its row; versions signed with it keep their signature.
 * - `mini_program_packages.release_signature` / `release_key_fingerprint`: the signature an upload carried and the
 *   key it was verified with at upload; null for versions uploaded without one (all versions before this migration).
 */
export function releaseKeys({ dialect }: MigrationContext) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('release_keys')
        .addColumn('org_id', 'varchar(64)', (c) => c.notNull().references('organisations.org_id').onDelete('cascade'))
        .addColumn('fingerprint_sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('algorithm', 'varchar(16)', (c) => c.notNull())
        .addColumn('bits', 'integer', (c) => c.notNull())
        .addColumn('public_key_pem', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
        .addPrimaryKeyConstraint('release_keys_pk', ['org_id', 'fingerprint_sha256'])
        .execute();
      await db.schema.alterTable('mini_program_packages').addColumn('release_signature', 'varchar(2048)').execute();
      await db.schema.alterTable('mini_program_packages').addColumn('release_key_fingerprint', 'varchar(64)').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('mini_program_packages').dropColumn('release_key_fingerprint').execute();
      await db.schema.alterTable('mini_program_packages').dropColumn('release_signature').execute();
      await db.schema.dropTable('release_keys').ifExists().execute();
    },
  };
}
