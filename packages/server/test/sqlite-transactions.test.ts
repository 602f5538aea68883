import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle, isDatabaseUnavailable } from '../src/db/connect.js';

// Two processes on one SQLite file (the workers of MPOP_WORKERS, or a server and `mpop admin backup`) are two
// connections. A transaction that read first and writes later must not fail because the other connection wrote in
// between (SQLITE_BUSY_SNAPSHOT, which busy_timeout does not wait out): a writing transaction takes the write lock
// when it begins. A read-only one (a backup's snapshot) must not hold it.
describe('SQLite transactions across connections', () => {
  let dir: string;
  let a: DatabaseHandle;
  let b: DatabaseHandle;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-sqlite-tx-'));
    const url = `sqlite:${path.join(dir, 'mpop.db')}`;
    a = connectDatabase(url);
    b = connectDatabase(url);
    await sql`create table t (x integer)`.execute(a.db);
    // The other connection gives up at once instead of waiting, so the test never blocks on the lock.
    await sql`pragma busy_timeout = 0`.execute(b.db);
  });

  afterEach(async () => {
    await a.db.destroy();
    await b.db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const count = async (h: DatabaseHandle) => Number((await sql<{ n: number }>`select count(*) as n from t`.execute(h.db)).rows[0].n);

  it('a transaction that reads, then writes, commits although another connection tried to write in between', async () => {
    await a.db.transaction().execute(async (trx) => {
      await sql`select count(*) from t`.execute(trx);
      // The other connection cannot slip a write in (deferred, it would, and the insert below would then fail).
      const other = await sql`insert into t (x) values (2)`.execute(b.db).then(
        () => 'written',
        (err: unknown) => err,
      );
      expect(other).not.toBe('written');
      expect(isDatabaseUnavailable(other)).toBe(true);
      await sql`insert into t (x) values (1)`.execute(trx);
    });
    expect(await count(b)).toBe(1);
  });

  it('a read-only transaction leaves the write lock free for other connections', async () => {
    const seen = await a.db
      .transaction()
      .setAccessMode('read only')
      .execute(async (trx) => {
        const before = Number((await sql<{ n: number }>`select count(*) as n from t`.execute(trx)).rows[0].n);
        await sql`insert into t (x) values (2)`.execute(b.db); // not refused: nobody holds the write lock
        const after = Number((await sql<{ n: number }>`select count(*) as n from t`.execute(trx)).rows[0].n);
        return { before, after };
      });
    expect(seen).toEqual({ before: 0, after: 0 }); // one snapshot throughout
    expect(await count(a)).toBe(1);
  });

  it('every kind of SQLITE_BUSY is a database that cannot be reached now (503), never a 500', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_TIMEOUT']) {
      expect(isDatabaseUnavailable(Object.assign(new Error('database is locked'), { code }))).toBe(true);
    }
  });
});
