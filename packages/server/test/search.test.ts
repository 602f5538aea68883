import { type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type RootOperationNode, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nameKey, SEARCH_COUNTED } from '../src/modules/host-apps/host-app.repository.js';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';

const WORDS = ['retail', 'bank', 'travel', 'mall', 'coupon', 'pay', 'food', 'ride'];
const SPECIAL = ['50%_off', 'star*deal', 'what?now', '[beta] shop', 'back\\slash'];
/** A host app row of the test's workspace, written straight into the table (thousands at a time). */
const hostAppRow = (n: number, name: string, now: string) => ({
  appId: n.toString(16).toUpperCase().slice(-13),
  workspaceId: 'big',
  tenantId: 'TENANTAA',
  name,
  nameKey: nameKey(name),
  source: 'manual' as const,
  createdAt: now,
  updatedAt: now,
});

/** While `on`, every statement that names one of `tables` (by a table node or in raw SQL), as the table names found. */
class StatementsOn implements KyselyPlugin {
  on = false;
  seen: string[][] = [];
  constructor(private readonly tables: string[]) {}
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (!this.on) return node;
    const found = new Set<string>();
    const walk = (n: unknown) => {
      if (!n || typeof n !== 'object') return;
      if (Array.isArray(n)) return n.forEach(walk);
      const o = n as { kind?: string; table?: { identifier?: { name?: string } }; sqlFragments?: string[] };
      if (o.kind === 'TableNode' && o.table?.identifier?.name) found.add(o.table.identifier.name);
      for (const fragment of o.sqlFragments ?? [])
        for (const table of this.tables) if (new RegExp(`\\b${table}\\b`).test(fragment)) found.add(table);
      for (const v of Object.values(o)) walk(v);
    };
    walk(node);
    const named = [...found].filter((table) => this.tables.includes(table));
    if (named.length > 0) this.seen.push(named.sort());
    return node;
  }
  async transformResult({ result }: PluginTransformResultArgs) {
    return result;
  }
}

describe.each(dialects)('admin search at size on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  const names: { appId: string; name: string }[] = [];
  const statements = new StatementsOn(['sessions', 'host_apps', 'dev_configs']);

  beforeAll(async () => {
    t = await startApp(dialect, {}, { databasePlugins: [statements] });
    admin = await Client.signIn(t.app);
    const now = new Date().toISOString();
    const rows = Array.from({ length: 3000 }, (_, i) => {
      const name = i < SPECIAL.length ? SPECIAL[i] : `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${i}`;
      const row = hostAppRow(0x1000000000000 + i, name, now);
      names.push({ appId: row.appId, name });
      return row;
    });
    for (let i = 0; i < rows.length; i += 500)
      await t.app.db
        .insertInto('hostApps')
        .values(rows.slice(i, i + 500))
        .execute();
  });
  afterAll(() => t.destroy());

  /** What the search must answer, computed naively: newest (last inserted) first. */
  const expected = (query: string) =>
    names
      .filter((n) => nameKey(n.name).includes(nameKey(query)) || n.appId === query)
      .map((n) => n.appId)
      .reverse();

  it.each(['coupon', 'RIDE pay', 'l 29', 'a', 'ba', '%_', '*', '?', '[beta]', '\\', 'zzz-nothing'])(
    'finds exactly the names containing %j, paged newest first; counted in full up to SEARCH_COUNTED past the page, estimated beyond',
    async (query) => {
      const want = expected(query);
      const res = (await admin.get(`/api/v1/host-apps?workspaceId=big&pageSize=100&query=${encodeURIComponent(query)}`)).json();
      expect(res.items.map((i: { appId: string }) => i.appId)).toEqual(want.slice(0, 100));
      if (want.length <= Math.max(100, SEARCH_COUNTED)) {
        expect(res).toMatchObject({ total: want.length, totalIsEstimate: false });
      } else {
        // Estimated from the matches read (newest first): near the true count, never below what was seen.
        expect(res.totalIsEstimate).toBe(true);
        expect(res.total).toBeGreaterThan(SEARCH_COUNTED);
        expect(Math.abs(res.total - want.length) / want.length).toBeLessThan(0.25);
      }
      if (want.length > 100) {
        // The last page reads every match up to it: its total is exact.
        const last = Math.ceil(want.length / 100);
        const deep = (
          await admin.get(`/api/v1/host-apps?workspaceId=big&pageSize=100&page=${last}&query=${encodeURIComponent(query)}`)
        ).json();
        expect(deep.items.map((i: { appId: string }) => i.appId)).toEqual(want.slice((last - 1) * 100));
        expect(deep).toMatchObject({ total: want.length, totalIsEstimate: false });
      }
    },
  );

  it('counts a listing without a query exactly, and an estimate never hides a page it has read', async () => {
    const all = (await admin.get('/api/v1/host-apps?workspaceId=big&pageSize=100&page=2')).json();
    expect(all).toMatchObject({ total: names.length, totalIsEstimate: false });
    const want = expected('coupon');
    const page3 = (await admin.get('/api/v1/host-apps?workspaceId=big&pageSize=100&page=3&query=coupon')).json();
    expect(page3.items.map((i: { appId: string }) => i.appId)).toEqual(want.slice(200, 300));
    expect(page3.total).toBeGreaterThanOrEqual(300);
  });

  it('answers a page past the last with the total, with and without a query', async () => {
    const want = expected('coupon');
    const past = (await admin.get('/api/v1/host-apps?workspaceId=big&pageSize=100&page=40&query=coupon')).json();
    expect(past).toMatchObject({ items: [], total: want.length, totalIsEstimate: false, page: 40, pageSize: 100 });
    const all = (await admin.get('/api/v1/host-apps?workspaceId=big&pageSize=100&page=40')).json();
    expect(all).toMatchObject({ items: [], total: names.length, totalIsEstimate: false });
    const none = (await admin.get('/api/v1/host-apps?workspaceId=nobody&query=coupon')).json();
    expect(none).toMatchObject({ items: [], total: 0, totalIsEstimate: false });
  });

  it('finds a host app once by its APPID and by its name, and others whose names hold that APPID, newest first', async () => {
    const now = new Date().toISOString();
    const own = hostAppRow(0x3abc000000000, 'self named', now);
    own.name = `mine ${own.appId}`;
    own.nameKey = nameKey(own.name);
    const other = hostAppRow(0x3abc000000001, `see ${own.appId.toLowerCase()}`, now);
    const elsewhere = { ...hostAppRow(0x3abc000000002, `elsewhere ${own.appId}`, now), workspaceId: 'small' };
    await t.app.db.insertInto('hostApps').values([own, other, elsewhere]).execute();
    for (const row of [own, other]) names.push({ appId: row.appId, name: row.name });
    const res = (await admin.get(`/api/v1/host-apps?workspaceId=big&query=${own.appId}`)).json();
    expect(res.items.map((i: { appId: string; name: string }) => [i.appId, i.name])).toEqual([
      [other.appId, other.name],
      [own.appId, own.name],
    ]);
    expect(res).toMatchObject({ total: 2, totalIsEstimate: false });
    expect(res.items[1]).toMatchObject({ workspaceId: 'big', tenantId: 'TENANTAA', source: 'manual', devConfigured: false, enabled: true });
    // Every workspace without workspaceId: the third one too.
    const everywhere = (await admin.get(`/api/v1/host-apps?query=${own.appId}`)).json();
    expect(everywhere.items.map((i: { appId: string }) => i.appId)).toEqual([elsewhere.appId, other.appId, own.appId]);
    expect(everywhere.total).toBe(3);
  });

  it('finds a common part that is also an APPID: every name holding it, and the host app of that APPID, page after page', async () => {
    // On PostgreSQL an exact APPID skips the walk through the newest and reads the names from the trigram index: the
    // pages and totals are the same as for any other text.
    const row = { ...hostAppRow(0x3abc000000010, 'plain title', new Date().toISOString()), appId: 'coupon' };
    await t.app.db.insertInto('hostApps').values(row).execute();
    names.push({ appId: row.appId, name: row.name });
    const want = expected('coupon');
    expect(want.length).toBeGreaterThan(SEARCH_COUNTED + 100);
    expect(want[0]).toBe('coupon');
    const last = Math.ceil(want.length / 100);
    for (const page of [1, 2, last]) {
      const res = (await admin.get(`/api/v1/host-apps?workspaceId=big&pageSize=100&page=${page}&query=coupon`)).json();
      expect(res.items.map((i: { appId: string }) => i.appId)).toEqual(want.slice((page - 1) * 100, page * 100));
      // The last page reads every match up to it: its total is exact.
      if (page === last) expect(res).toMatchObject({ total: want.length, totalIsEstimate: false });
      else expect(Math.abs(res.total - want.length) / want.length).toBeLessThan(0.25);
    }
  });

  it.runIf(dialect === 'postgres')(
    'answers a search and a listing in one statement besides the session look-up (two when the total is estimated)',
    async () => {
      const ask = async (url: string) => {
        statements.seen = [];
        statements.on = true;
        try {
          expect((await admin.get(url)).statusCode).toBe(200);
        } finally {
          statements.on = false;
        }
        return statements.seen;
      };
      const session = ['sessions'];
      const one = ['dev_configs', 'host_apps'];
      // An exact APPID (the walk through the newest finds nothing, so the trigram step runs too), a part found only
      // by the trigram step, a listing: one statement each.
      expect(await ask(`/api/v1/host-apps?workspaceId=big&query=${names[100].appId}`)).toEqual([session, one]);
      expect(await ask('/api/v1/host-apps?workspaceId=big&page=2&query=l%2029')).toEqual([session, one]);
      expect(await ask('/api/v1/host-apps?workspaceId=big&page=3')).toEqual([session, one]);
      // A common part: its total is estimated from the ends of the ID range, read by a second statement.
      const res = await admin.get('/api/v1/host-apps?workspaceId=big&pageSize=20&query=a');
      expect(res.json().totalIsEstimate).toBe(true);
      expect(await ask('/api/v1/host-apps?workspaceId=big&pageSize=20&query=a')).toEqual([session, one, ['host_apps']]);
    },
  );

  it('finds an exact APPID, and a deleted host app no more', async () => {
    const target = names[1234];
    const res = (await admin.get(`/api/v1/host-apps?query=${target.appId}`)).json();
    expect(res.items.map((i: { appId: string }) => i.appId)).toEqual([target.appId]);
    expect((await admin.delete(`/api/v1/host-apps/big/${target.appId}`)).statusCode).toBe(204);
    const after = (await admin.get(`/api/v1/host-apps?workspaceId=big&query=${encodeURIComponent(target.name)}`)).json();
    expect(after.items.map((i: { appId: string }) => i.appId)).not.toContain(target.appId);
    names.splice(1234, 1);
  });

  it('finds matches older than the newest 4,000 host apps, in order, page after page', async () => {
    // Newer host apps none of these queries matches: every match is older than what a search walks first.
    const now = new Date().toISOString();
    for (let i = 0; i < 4100; i += 500) {
      const rows = Array.from({ length: Math.min(500, 4100 - i) }, (_, j) => hostAppRow(0x2000000000000 + i + j, `filler ${i + j}`, now));
      await t.app.db.insertInto('hostApps').values(rows).execute();
    }
    for (const query of ['coupon', 'a', 'ba', 'l 29', names[5].appId]) {
      const want = expected(query);
      expect(want.length).toBeGreaterThan(0);
      for (const page of [1, 2, 3]) {
        const res = (
          await admin.get(`/api/v1/host-apps?workspaceId=big&pageSize=100&page=${page}&query=${encodeURIComponent(query)}`)
        ).json();
        expect(res.items.map((i: { appId: string }) => i.appId)).toEqual(want.slice((page - 1) * 100, page * 100));
        expect(res.total).toBeGreaterThanOrEqual(Math.min(want.length, page * 100));
        if (want.length <= Math.max(page * 100, SEARCH_COUNTED)) expect(res).toMatchObject({ total: want.length, totalIsEstimate: false });
      }
    }
  });

  it('has its trigram index', async () => {
    const found =
      dialect === 'postgres'
        ? await sql<{
            n: number;
          }>`select count(*)::int as n from pg_indexes where indexname = 'host_apps_name_key_trgm_idx' and schemaname = current_schema()`.execute(
            t.app.db,
          )
        : await sql<{ n: number }>`select count(*) as n from sqlite_master where name = 'host_apps_fts'`.execute(t.app.db);
    expect(Number(found.rows[0].n)).toBe(1);
    if (dialect === 'postgres') {
      // Written at once on every insert: no pending list for every search to read until the next vacuum (0019).
      const { rows } = await sql<{ options: string[] | null }>`select c.reloptions as options from pg_class c
        join pg_namespace n on n.oid = c.relnamespace where c.relname = 'host_apps_name_key_trgm_idx' and n.nspname = current_schema()`.execute(
        t.app.db,
      );
      expect(rows[0].options).toContain('fastupdate=off');
    }
  });
});
