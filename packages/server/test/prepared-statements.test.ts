import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor } from '../src/db/executor.js';
import { SessionRepository } from '../src/modules/auth/session.repository.js';
import { HostAppRepository } from '../src/modules/host-apps/host-app.repository.js';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';

/** The statements prepared on this connection (PostgreSQL's view shows the session's own). */
const preparedOn = async (conn: Executor) =>
  (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(conn)).rows;

describe.runIf(dialects.includes('postgres'))('prepared statements on PostgreSQL', () => {
  let t: TestApp;
  let off: TestApp;

  beforeAll(async () => {
    [t, off] = await Promise.all([startApp('postgres'), startApp('postgres', { MPOP_PG_PREPARED_STATEMENTS: 'off' })]);
    const admin = await Client.signIn(t.app);
    for (const name of ['coupon mall', 'coupon ride', 'bank pay'])
      expect((await admin.post('/api/v1/host-apps', { workspaceId: 'default', name })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await Promise.all([t?.destroy(), off?.destroy()]);
  });

  it('runs the statements marked for it as named prepared statements, and no other', async () => {
    await t.app.db.connection().execute(async (conn) => {
      await new SessionRepository(conn).findLiveWithMemberships('0'.repeat(64), new Date().toISOString());
      await new HostAppRepository(conn).list({ query: 'coupon', page: 1, pageSize: 20 });
      await conn.selectFrom('users').select('username').execute(); // not marked
      // The connection may have served the sign-in before (its marked statements too), never an unmarked one.
      const prepared = await preparedOn(conn);
      expect(prepared.length).toBeGreaterThanOrEqual(2);
      for (const p of prepared) {
        expect(p.name).toMatch(/^mpop_[0-9a-f]{24}$/);
        expect(p.statement).toContain('/* prepared */');
      }
      expect(prepared.some((p) => p.statement.includes('"sessions"'))).toBe(true);
      expect(prepared.some((p) => p.statement.includes('name_key like'))).toBe(true);
      expect(prepared.some((p) => p.statement.includes('"username" from "users"'))).toBe(false);
    });
  });

  it('prepares nothing with MPOP_PG_PREPARED_STATEMENTS=off (for a pooler that cannot keep them)', async () => {
    expect(off.config.pgPreparedStatements).toBe(false);
    await off.app.db.connection().execute(async (conn) => {
      await new SessionRepository(conn).findLiveWithMemberships('0'.repeat(64), new Date().toISOString());
      await new HostAppRepository(conn).list({ query: 'coupon', page: 1, pageSize: 20 });
      expect(await preparedOn(conn)).toEqual([]);
    });
  });

  it('answers a prepared search alike on every run, and after a migration adds a column to host_apps', async () => {
    await t.app.db.connection().execute(async (conn) => {
      const repo = new HostAppRepository(conn);
      const names = async (query: string) => (await repo.list({ query, page: 1, pageSize: 20 })).items.map((i) => i.name);
      // Past PostgreSQL's first five runs, when it may switch to one plan for every value.
      for (let i = 0; i < 7; i++) {
        expect(await names('coupon')).toEqual(['coupon ride', 'coupon mall']);
        expect(await names('pay')).toEqual(['bank pay']);
      }
      // A prepared `select h.*` would now fail ("cached plan must not change result type"): the columns are named.
      await sql`alter table host_apps add column added_later integer`.execute(conn);
      try {
        expect(await names('coupon')).toEqual(['coupon ride', 'coupon mall']);
        const [first] = (await repo.list({ query: 'bank', page: 1, pageSize: 20 })).items;
        expect(first).toMatchObject({ name: 'bank pay', devConfigured: false });
        expect(first).not.toHaveProperty('addedLater');
      } finally {
        await sql`alter table host_apps drop column added_later`.execute(conn);
      }
    });
  });
});
