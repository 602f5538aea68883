import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The audit `actor` of a change made with an API token is `<user> (token <name>)`: up to 64 + 64 + 9 characters,
 * more than the 128 that 0001 gave the column, so on PostgreSQL every change made with a long-named token of a
 * long-named user failed. 256 holds it with room. SQLite does not enforce varchar lengths: nothing to do there.
 */
export function auditActorWidth({ dialect }: MigrationContext) {
  const width = (db: Kysely<any>, type: 'varchar(256)' | 'varchar(128)') =>
    dialect === 'postgres'
      ? db.schema
          .alterTable('audit_events')
          .alterColumn('actor', (c) => c.setDataType(type))
          .execute()
      : Promise.resolve();
  return {
    up: (db: Kysely<any>) => width(db, 'varchar(256)'),
    down: (db: Kysely<any>) => width(db, 'varchar(128)'),
  };
}
