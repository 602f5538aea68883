import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/** Every timestamp column of 0001, by table. */
const COLUMNS: Record<string, string[]> = {
  users: ['created_at'],
  sessions: ['created_at', 'expires_at'],
  api_tokens: ['created_at', 'last_used_at'],
  host_apps: ['created_at', 'updated_at'],
  dev_configs: ['key_uploaded_at', 'updated_at'],
  audit_events: ['at'],
  mini_programs: ['created_at', 'updated_at'],
  mini_program_packages: ['created_at'],
  host_app_mini_programs: ['created_at'],
  package_signatures: ['created_at'],
};

/**
 * PostgreSQL timestamps become `timestamptz` (existing ISO text converts exactly). SQLite keeps ISO text: it has
 * no date type, and ISO 8601 UTC text compares and sorts correctly there.
 */
export function timestamptz({ dialect }: MigrationContext) {
  const alter = async (db: Kysely<any>, type: 'timestamptz' | 'varchar(32)') => {
    if (dialect !== 'postgres') return;
    for (const [table, columns] of Object.entries(COLUMNS)) {
      for (const column of columns) {
        const using =
          type === 'timestamptz'
            ? sql`${sql.ref(column)}::timestamptz`
            : sql`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
        await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type ${sql.raw(type)} using ${using}`.execute(db);
      }
    }
  };
  return {
    up: (db: Kysely<any>) => alter(db, 'timestamptz'),
    down: (db: Kysely<any>) => alter(db, 'varchar(32)'),
  };
}
