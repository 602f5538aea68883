import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../src/db/connect.js';
import { knownMigrations, migrateTo, migrateToLatest } from '../src/db/migrations/index.js';
import { dialects, startApp, type TestApp } from './helpers/app.js';

describe.each(dialects)('migrations at start-up on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(dialect);
    await t.close();
  });
  afterAll(() => t.destroy());

  const connect = () => connectDatabase(t.config.databaseUrl);

  it('reads the list of names when the schema is up to date: the migrator (its catalogue checks, its lock) is not needed', async () => {
    const h = connect();
    try {
      const raw = h.db.withoutPlugins();
      // Test files run side by side on one PostgreSQL database, each in its schema: look at this one's tables only.
      const schema = dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(raw)).rows[0].s : undefined;
      const tableNames = async () =>
        (await h.db.introspection.getTables({ withInternalKyselyTables: true })).filter((x) => x.schema === schema).map((x) => x.name);
      // The migrator makes its lock table whenever it runs: without it, an up-to-date start leaves it absent.
      await sql`drop table if exists kysely_migration_lock`.execute(raw);
      await migrateToLatest(h.db, h.dialect);
      const tables = await tableNames();
      expect(tables).toContain('kysely_migration');
      expect(tables).not.toContain('kysely_migration_lock');
      // A migration to run brings the migrator back, lock table and all: the last one, undone first.
      const known = knownMigrations(dialect);
      await migrateTo(h.db, h.dialect, known.at(-2)!);
      await sql`drop table if exists kysely_migration_lock`.execute(raw);
      await migrateToLatest(h.db, h.dialect);
      const after = await tableNames();
      expect(after).toContain('kysely_migration_lock');
      const names = (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(raw)).rows.map((r) => r.name);
      expect(names).toEqual(known);
    } finally {
      await h.db.destroy();
    }
  });

  it('leaves anything else to the migrator: a migration this version does not know is refused, as before', async () => {
    const h = connect();
    try {
      const raw = h.db.withoutPlugins();
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_version', '2026-12-06T00:00:00.000Z')`.execute(
        raw,
      );
      await expect(migrateToLatest(h.db, h.dialect)).rejects.toThrow(/9999_from_a_newer_version/);
      await sql`delete from kysely_migration where name = '9999_from_a_newer_version'`.execute(raw);
    } finally {
      await h.db.destroy();
    }
  });
});
