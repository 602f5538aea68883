import { createRequire } from 'node:module';
import type SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { keepingStatements } from '../src/db/connect.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof SQLite;

describe('SQLite statements kept by their text', () => {
  it('prepares each text once, answers as a fresh statement would, and keeps at most the given number', async () => {
    const raw = new Database(':memory:');
    const prepare = vi.spyOn(raw, 'prepare');
    const db = new Kysely<{ t: { a: number; b: string } }>({ dialect: new SqliteDialect({ database: keepingStatements(raw, 2) }) });
    await sql`create table t (a integer, b text)`.execute(db);
    await db.insertInto('t').values({ a: 1, b: 'one' }).execute();
    await db.insertInto('t').values({ a: 2, b: 'two' }).execute(); // the same text as the first insert
    const byA = (a: number) => db.selectFrom('t').select('b').where('a', '=', a).execute();
    expect(await byA(1)).toEqual([{ b: 'one' }]);
    expect(await byA(2)).toEqual([{ b: 'two' }]);
    const texts = prepare.mock.calls.map(([text]) => text);
    expect(texts.filter((t) => t.startsWith('insert'))).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith('select'))).toHaveLength(1);

    // Two kept: a third text drops the least recently used (the insert), which is prepared again when it comes back.
    expect(await db.selectFrom('t').select('a').orderBy('a').execute()).toEqual([{ a: 1 }, { a: 2 }]);
    await db.insertInto('t').values({ a: 3, b: 'three' }).execute();
    expect(prepare.mock.calls.map(([text]) => text).filter((t) => t.startsWith('insert'))).toHaveLength(2);
    expect(await byA(3)).toEqual([{ b: 'three' }]);
    await db.destroy();
  });

  it('answers with the columns of the table as it is now after a schema change', async () => {
    const raw = new Database(':memory:');
    const db = new Kysely<{ t: { a: number } }>({ dialect: new SqliteDialect({ database: keepingStatements(raw) }) });
    await sql`create table t (a integer)`.execute(db);
    await sql`insert into t (a) values (1)`.execute(db);
    const all = () => sql`select * from t`.execute(db).then((r) => r.rows);
    expect(await all()).toEqual([{ a: 1 }]);
    await sql`alter table t add column c text default 'x'`.execute(db);
    expect(await all()).toEqual([{ a: 1, c: 'x' }]);
    await db.destroy();
  });

  it('does not keep a very long text (a bulk insert)', async () => {
    const raw = new Database(':memory:');
    const prepare = vi.spyOn(raw, 'prepare');
    const db = new Kysely<{ t: { a: number } }>({ dialect: new SqliteDialect({ database: keepingStatements(raw) }) });
    await sql`create table t (a integer)`.execute(db);
    const rows = Array.from({ length: 2000 }, (_, a) => ({ a }));
    await db.insertInto('t').values(rows).execute();
    await db.insertInto('t').values(rows).execute();
    expect(prepare.mock.calls.filter(([text]) => text.startsWith('insert'))).toHaveLength(2);
    expect(Number((await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0].n)).toBe(4000);
    await db.destroy();
  });
});
