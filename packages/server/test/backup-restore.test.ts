import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, urlWithSchema } from './helpers/postgres.js';
import { apiToken, cli, type ServerProcess, startServer } from './helpers/process.js';
import { Api, expectPopulation, type Population, populate } from './helpers/scenario.js';

const PG = process.env.MPOP_TEST_PG_RUN_URL;
const MASTER_KEY = randomBytes(32).toString('base64');

describe('mpop admin backup and restore', () => {
  let work: string;
  let source: ServerProcess;
  let api: Api;
  let population: Population;
  let backupFile: string;
  let snapshot: { writers: string[]; writerAudits: string[] };
  const schemas: string[] = [];

  /** Variables of an installation: its data dir and database, with the one master key. */
  const installation = (name: string, databaseUrl = '') => {
    const dataDir = path.join(work, name);
    return { MPOP_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, MPOP_MASTER_KEY: MASTER_KEY };
  };
  async function pgInstallation(name: string) {
    const schema = `r_${randomBytes(5).toString('hex')}`;
    await adminQuery(`create schema ${schema}`, PG!);
    schemas.push(schema);
    return installation(name, urlWithSchema(PG!, schema));
  }

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-backup-'));
    source = await startServer(path.join(work, 'source'), { MPOP_MASTER_KEY: MASTER_KEY });
    api = new Api(source.url, await apiToken(source.url));
    population = await populate(api);
  });
  afterAll(async () => {
    await source?.stop();
    for (const s of schemas) await adminQuery(`drop schema if exists ${s} cascade`, PG!);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('backs up a running server while writes go on: one consistent snapshot, never the master key', async () => {
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) await api.ok('POST', '/api/v1/host-apps', { name: `Writer ${n++}`, workspaceId: 'writes' });
    })();
    while (n < 5) await new Promise((r) => setTimeout(r, 50)); // writes are under way
    backupFile = path.join(work, 'mpop.backup');
    const res = await cli(['admin', 'backup', backupFile, '--json'], { ...installation('source') });
    writing = false;
    await writer;
    expect(res.code, res.stderr).toBe(0);
    const summary = res.json();
    expect(summary).toMatchObject({ file: backupFile, dialect: 'sqlite', packages: 2 });
    expect(summary.tables.host_apps).toBeGreaterThanOrEqual(4 + 5);
    expect(n).toBeGreaterThan(summary.tables.host_apps - 4); // writes went on during the backup
    expect(fs.existsSync(backupFile)).toBe(true);
    expect(fs.readdirSync(work).filter((f) => f.endsWith('.partial'))).toEqual([]);

    const text = gunzipSync(fs.readFileSync(backupFile)).toString('utf8');
    expect(text).not.toContain(MASTER_KEY);
    expect(text).not.toMatch(/BEGIN (RSA )?PRIVATE KEY/);
    // Consistent: every host app in the file has its "created" audit event in the file, and no event lacks its app
    // (audit_events is read before host_apps, so a backup without one snapshot would hold more events than apps).
    const lines = text.trimEnd().split('\n');
    const section = (table: string) => {
      const start = lines.findIndex((l) => l.startsWith(`{"t":"table","name":"${table}"`));
      const columns = JSON.parse(lines[start]).columns as string[];
      const end = lines.findIndex((l, i) => i > start && l.startsWith('{"t":"table-end"'));
      return lines.slice(start + 1, end).map((l) => Object.fromEntries(columns.map((c, i) => [c, JSON.parse(l)[i]])));
    };
    const writers = section('host_apps')
      .filter((r) => r.workspace_id === 'writes')
      .map((r) => `host-app:writes/${r.app_id}`);
    const writerAudits = section('audit_events')
      .filter((r) => r.action === 'host-app.created' && String(r.target).startsWith('host-app:writes/'))
      .map((r) => r.target);
    expect(writers.length).toBeGreaterThan(0);
    expect(writerAudits.sort()).toEqual([...writers].sort());
    snapshot = { writers, writerAudits };
  }, 180_000);

  async function restoreAndCheck(env: Record<string, string>) {
    const res = await cli(['admin', 'restore', backupFile, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json()).toMatchObject({ source: 'sqlite', packages: 2 });
    const server = await startServer(env.MPOP_DATA_DIR, env);
    try {
      const restored = new Api(server.url, await apiToken(server.url));
      await expectPopulation(restored, population);
      const writes: string[] = [];
      for (let page = 1; writes.length < snapshot.writers.length + 100; page++) {
        const { items } = await restored.ok('GET', `/api/v1/host-apps?workspaceId=writes&pageSize=100&page=${page}`);
        if (items.length === 0) break;
        writes.push(...items.map((a: { appId: string }) => `host-app:writes/${a.appId}`));
      }
      expect(writes.sort()).toEqual([...snapshot.writers].sort());
      // The search index is derived, not copied: a search by part of a name finds the restored app.
      const one = (await restored.ok('GET', '/api/v1/host-apps?workspaceId=writes&pageSize=1')).items[0];
      const found = await restored.ok('GET', `/api/v1/host-apps?workspaceId=writes&query=${encodeURIComponent(one.name.slice(1, -1))}`);
      expect(found.items.map((a: { appId: string }) => a.appId)).toContain(one.appId);
      // New rows get fresh IDs after the restored ones (sequences moved past them), and the restore is audited.
      const added = await restored.ok('POST', '/api/v1/host-apps', { name: 'After Restore', workspaceId: 'writes' });
      expect(added.appId).toMatch(/^[0-9A-F]{13}$/);
      const audit = await restored.ok('GET', '/api/v1/audit-events?action=installation.restored');
      expect(audit.items).toHaveLength(1);
      expect(audit.items[0]).toMatchObject({ actor: 'mpop admin', target: 'backup:mpop.backup' });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }

  it('restores into an empty SQLite installation: every host app, key, release and package, signatures verifying', async () => {
    await restoreAndCheck(installation('restored-sqlite'));
  }, 180_000);

  it.skipIf(!PG)(
    'restores the SQLite backup into an empty PostgreSQL database (moving an installation to PostgreSQL)',
    async () => {
      await restoreAndCheck(await pgInstallation('restored-pg'));
    },
    180_000,
  );

  it.skipIf(!PG)(
    'backs up PostgreSQL into the same format and restores it into SQLite',
    async () => {
      const pg = await pgInstallation('pg-source');
      expect((await cli(['admin', 'restore', backupFile], pg)).code).toBe(0);
      const again = path.join(work, 'from-pg.backup');
      const backup = await cli(['admin', 'backup', again, '--json'], pg);
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.json().dialect).toBe('postgres');
      const back = installation('back-to-sqlite');
      const res = await cli(['admin', 'restore', again, '--json'], back);
      expect(res.code, res.stderr).toBe(0);
      expect(res.json()).toMatchObject({ source: 'postgres', target: 'sqlite' });
      const server = await startServer(back.MPOP_DATA_DIR, back);
      try {
        await expectPopulation(new Api(server.url, await apiToken(server.url)), population);
      } finally {
        await server.stop();
      }
    },
    180_000,
  );

  /** An installation that must stay untouched by a refused restore. */
  function expectUntouched(env: Record<string, string>) {
    const dir = env.MPOP_DATA_DIR;
    const files = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String) : [];
    expect(files.filter((f) => f.endsWith('.zip') || f.startsWith('mpop.db'))).toEqual([]);
  }

  it('refuses a truncated file, a flipped byte and altered content before writing anything', async () => {
    const original = fs.readFileSync(backupFile);
    const content = gunzipSync(original).toString('utf8');
    const variants: Record<string, Buffer> = {
      truncated: original.subarray(0, Math.floor(original.length * 0.7)),
      'cut at a line': gzipSync(content.slice(0, content.lastIndexOf('{"t":"end"'))),
      'flipped byte': Buffer.from(original.map((b, i) => (i === Math.floor(original.length / 2) ? b ^ 0x01 : b))),
      'altered row': gzipSync(content.replace('"Backed Up 1"', '"Backed Up X"')),
      'altered package': gzipSync(content.replace(/("t":"chunk","data":".{20})(.)/, (_, head, c) => head + (c === 'A' ? 'B' : 'A'))),
      'not a backup': gzipSync('{"hello":"world"}\n'),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      const file = path.join(work, `${name.replace(/ /g, '-')}.backup`);
      fs.writeFileSync(file, bytes);
      const env = installation(`refused-${name.replace(/ /g, '-')}`);
      const res = await cli(['admin', 'restore', file], env);
      expect(res.code, `${name}: ${res.stderr}`).toBe(1);
      expect(res.stderr, name).toMatch(/is damaged or incomplete .*nothing was restored/);
      expectUntouched(env);
    }
    if (PG) {
      const pg = await pgInstallation('refused-pg');
      const truncated = path.join(work, 'truncated.backup');
      expect((await cli(['admin', 'restore', truncated], pg)).code).toBe(1);
      const schema = new URL(pg.DATABASE_URL).searchParams.get('options')!.split('=')[1];
      const tables = await adminQuery(`select count(*)::int as n from information_schema.tables where table_schema = '${schema}'`, PG);
      expect(tables.rows[0].n).toBe(0);
    }
  }, 180_000);

  it('refuses another master key, and a database or data dir that is not empty', async () => {
    const wrongKey = { ...installation('wrong-key'), MPOP_MASTER_KEY: randomBytes(32).toString('base64') };
    const res = await cli(['admin', 'restore', backupFile], wrongKey);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/MPOP_MASTER_KEY.*nothing was restored/);
    expectUntouched(wrongKey);

    const noKey = { ...installation('no-key'), MPOP_MASTER_KEY: '' };
    const none = await cli(['admin', 'restore', backupFile], noKey);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/No master key: set MPOP_MASTER_KEY/);

    const used = installation('restored-sqlite'); // restored above, and started since
    const full = await cli(['admin', 'restore', backupFile], used);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/The database is not empty \(.*\); a restore goes into a new, empty database/);
  }, 120_000);
});
