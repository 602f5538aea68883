import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Indexes that keep the admin search instant at size: the name substring search, the exact APPID match (its
 * B-tree exists since 0001) and a workspace's pages (workspace, id).
 * - PostgreSQL: a `pg_trgm` GIN index on `name_key`, which serves `LIKE '%…%'`. Creating the extension needs a
 *   privilege the database user may lack: then the search still works (as a scan) and a warning says what to ask
 *   a DBA for. The extension lives in `public`, so that every schema of the database can use it.
 * - SQLite: an FTS5 trigram index over `name_key` (external content, kept in step by triggers).
 */
export function searchIndexes({ dialect, warn }: MigrationContext) {
  return {
    async up(db: Kysely<any>) {
      // A workspace's page, newest first, and its count, without sorting or reading the (wider) name index.
      await db.schema.createIndex('host_apps_workspace_id_id_idx').on('host_apps').columns(['workspace_id', 'id']).execute();
      if (dialect === 'postgres') {
        await sql`savepoint mpop_trgm`.execute(db);
        try {
          await sql`create extension if not exists pg_trgm with schema public`.execute(db);
          await sql`release savepoint mpop_trgm`.execute(db);
        } catch (err) {
          await sql`rollback to savepoint mpop_trgm`.execute(db);
          warn?.(
            `The PostgreSQL extension pg_trgm could not be created (${(err as Error).message}); the host app search works, but ` +
              'scans the table. Ask a database administrator to run "CREATE EXTENSION pg_trgm" in this database, then restart mpop.',
          );
        }
        const found = await sql<{
          schema: string;
        }>`select extnamespace::regnamespace::text as schema from pg_extension where extname = 'pg_trgm'`.execute(db);
        const schema = found.rows[0]?.schema;
        if (schema) {
          await sql`create index if not exists host_apps_name_key_trgm_idx on host_apps using gin (name_key ${sql.id(schema)}.gin_trgm_ops)`.execute(
            db,
          );
        }
        return;
      }
      await sql`create virtual table host_apps_fts using fts5(name_key, content='host_apps', content_rowid='id', tokenize='trigram')`.execute(
        db,
      );
      await sql`insert into host_apps_fts(host_apps_fts) values ('rebuild')`.execute(db);
      await sql`create trigger host_apps_fts_insert after insert on host_apps begin
        insert into host_apps_fts(rowid, name_key) values (new.id, new.name_key); end`.execute(db);
      await sql`create trigger host_apps_fts_delete after delete on host_apps begin
        insert into host_apps_fts(host_apps_fts, rowid, name_key) values ('delete', old.id, old.name_key); end`.execute(db);
      await sql`create trigger host_apps_fts_update after update of name_key on host_apps begin
        insert into host_apps_fts(host_apps_fts, rowid, name_key) values ('delete', old.id, old.name_key);
        insert into host_apps_fts(rowid, name_key) values (new.id, new.name_key); end`.execute(db);
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('host_apps_workspace_id_id_idx').ifExists().execute();
      if (dialect === 'postgres') {
        await sql`drop index if exists host_apps_name_key_trgm_idx`.execute(db);
        return;
      }
      for (const t of ['insert', 'delete', 'update']) await sql`drop trigger if exists ${sql.id(`host_apps_fts_${t}`)}`.execute(db);
      await sql`drop table if exists host_apps_fts`.execute(db);
    },
  };
}
