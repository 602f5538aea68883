import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The client address of every audit event (as the server derives it, honouring MPOP_TRUST_PROXY): who did a thing
 * is half the story without where from. Nullable: events from before this migration, and those of the command line
 * (`mpop admin …`), have none. 64 characters hold any IPv6 address, IPv4-mapped ones included.
 */
export function auditAddress(_ctx: MigrationContext) {
  return {
    up: (db: Kysely<any>) => db.schema.alterTable('audit_events').addColumn('address', 'varchar(64)').execute(),
    down: (db: Kysely<any>) => db.schema.alterTable('audit_events').dropColumn('address').execute(),
  };
}
