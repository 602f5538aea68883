import type {
  KyselyPlugin,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { configuredHostApp, served } from './helpers/open-platform.js';
import { releasedMiniProgram } from './helpers/packages.js';

/** Every table each query names, in the order they ran (snake_case: this plugin runs after the name mapping). */
class TablesRead implements KyselyPlugin {
  queries: string[][] = [];
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    const tables = new Set<string>();
    const walk = (n: unknown) => {
      if (!n || typeof n !== 'object') return;
      if (Array.isArray(n)) return n.forEach(walk);
      const o = n as OperationNode & { table?: { identifier?: { name?: string } } };
      if (o.kind === 'TableNode' && o.table?.identifier?.name) tables.add(o.table.identifier.name);
      for (const v of Object.values(o)) walk(v);
    };
    walk(node);
    this.queries.push([...tables]);
    return node;
  }
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

const HOST_APPS = 400;
/** The tables whose rows grow with the host apps and their authorisations. */
const PER_HOST_APP = ['host_apps', 'host_app_mini_programs', 'dev_configs', 'binding_signatures'];

describe.each(dialects)('start-up on %s', (dialect) => {
  const reads = new TablesRead();
  let t: TestApp;
  let admin: Client;

  beforeAll(async () => {
    t = await startApp(dialect, {}, { databasePlugins: [reads] });
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  it(`reads no host app's rows when nothing is left to sign (${HOST_APPS} authorised host apps)`, async () => {
    const host = await configuredHostApp(admin, 'boot');
    const { id } = await releasedMiniProgram(admin, 'Boot');
    expect((await admin.put(`/api/v1/host-apps/${host.workspaceId}/${host.appId}/mini-programs/${id}`)).statusCode).toBe(200);
    expect(await served(t.app, host)).toEqual([`${id}@1.0.0.1`]);
    // Many more authorised host apps, each with its key and signatures, as a large installation has them.
    const db = t.app.db;
    const first = await db.selectFrom('hostApps').selectAll().where('appId', '=', host.appId).executeTakeFirstOrThrow();
    const config = await db.selectFrom('devConfigs').selectAll().where('hostAppId', '=', first.id).executeTakeFirstOrThrow();
    const binding = await db.selectFrom('bindingSignatures').selectAll().where('hostAppId', '=', first.id).executeTakeFirstOrThrow();
    const { id: _, ...hostRow } = first;
    for (let i = 0; i < HOST_APPS; i += 100) {
      const rows = Array.from({ length: 100 }, (_, j) => ({
        ...hostRow,
        appId: `BOOT${i + j}`,
        name: `Boot ${i + j}`,
        nameKey: `boot ${i + j}`,
      }));
      const ids = (await db.insertInto('hostApps').values(rows).returning('id').execute()).map((r) => r.id);
      await db
        .insertInto('devConfigs')
        .values(ids.map((hostAppId) => ({ ...config, hostAppId })))
        .execute();
      await db
        .insertInto('hostAppMiniPrograms')
        .values(ids.map((hostAppId) => ({ hostAppId, miniProgramId: id, createdAt: first.createdAt })))
        .execute();
      await db
        .insertInto('bindingSignatures')
        .values(ids.map((hostAppId) => ({ ...binding, hostAppId })))
        .execute();
    }
    // Every signing job finished: none is left for a start to resume.
    expect(await db.selectFrom('signingPending').selectAll().execute()).toEqual([]);

    reads.queries = [];
    t = await t.restart();
    admin = await Client.signIn(t.app);
    const running = async () =>
      (await admin.get('/api/v1/signing-jobs')).json().items.filter((j: { status: string }) => j.status === 'running').length;
    await expect.poll(running).toBe(0);
    // Start-up (and signing in, and listing the signing jobs) read no table that grows with the host apps.
    expect(reads.queries.filter((tables) => tables.some((name) => PER_HOST_APP.includes(name)))).toEqual([]);
    expect(await served(t.app, host)).toEqual([`${id}@1.0.0.1`]);
  });

  it('compiles route schemas on first use, not at start-up; every one of them compiles', async () => {
    const fresh = await t.restart();
    t = fresh;
    admin = await Client.signIn(t.app);
    // Signing in compiled its route's schemas; most routes are still waiting for their first request.
    const compiled = t.app.compileRouteSchemas();
    expect(compiled).toBeGreaterThan(100);
    expect(t.app.compileRouteSchemas()).toBe(0);
    // Validation and serialization work as before (a compiled-on-demand validator refuses, with its reasons).
    const bad = await admin.post('/api/v1/mini-programs', { name: 'n'.repeat(65) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'name' }] });
  });
});
