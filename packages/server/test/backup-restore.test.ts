import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupAuthKey } from '../src/modules/operations/backup-file.js';
import { adminQuery, urlWithSchema } from './helpers/postgres.js';
import { apiToken, cli, type ServerProcess, startServer } from './helpers/process.js';
import { Api, expectPopulation, type Population, populate } from './helpers/scenario.js';
import { devConfigForm } from './helpers/app.js';

const PG = process.env.MPOP_TEST_PG_RUN_URL;
const MASTER_KEY = randomBytes(32).toString('base64');

type Line = Record<string, unknown> | unknown[];
const isRecord = (l: Line, t: string): l is Record<string, unknown> => !Array.isArray(l) && l.t === t;

/**
 * What someone who can write the backup store can do: edit the content, then make every checksum fit again (each
 * package's SHA-256, the row counts, the manifest and its SHA-256). Only the HMAC is beyond reach without the
 * master key: it is kept as it was, or (`macKey`) remade with another installation's master key.
 */
function forge(content: string, edit: (lines: Line[]) => Line[], macKey?: Buffer): Buffer {
  const original = content
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
  const mac = original.pop() as { t: string; hmac: string };
  original.pop(); // the manifest, made again below
  const lines = edit(original);
  const tables: Record<string, number> = {};
  const packages: { sha256: string; size: number }[] = [];
  let rows = 0;
  let size = 0;
  for (const l of lines) {
    if (Array.isArray(l)) rows++;
    else if (l.t === 'table') rows = 0;
    else if (l.t === 'table-end') {
      l.rows = rows;
      tables[l.name as string] = rows;
    } else if (l.t === 'package') size = 0;
    else if (l.t === 'chunk') size += Buffer.from(l.data as string, 'base64').length;
    else if (l.t === 'package-end') packages.push({ sha256: l.sha256 as string, size });
  }
  const body = lines.map((l) => `${JSON.stringify(l)}\n`).join('');
  const end = `${JSON.stringify({ t: 'end', tables, packages, sha256: createHash('sha256').update(body).digest('hex') })}\n`;
  let hmac = mac.hmac;
  if (macKey) {
    const salt = Buffer.from(((lines[0] as Record<string, unknown>).auth as { salt: string }).salt, 'base64');
    hmac = createHmac('sha256', backupAuthKey(macKey, salt)).update(body).update(end).digest('hex');
  }
  return gzipSync(`${body}${end}${JSON.stringify({ t: 'mac', hmac })}\n`);
}

/** Replaces the first package's bytes (one byte flipped) and points every row that named it at the new digest. */
function swapPackage(lines: Line[]): Line[] {
  const start = lines.findIndex((l) => isRecord(l, 'package'));
  const endAt = lines.findIndex((l, i) => i > start && isRecord(l, 'package-end'));
  const old = (lines[start] as { sha256: string }).sha256;
  const bytes = Buffer.concat(lines.slice(start + 1, endAt).map((l) => Buffer.from((l as { data: string }).data, 'base64')));
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  const swapped = createHash('sha256').update(bytes).digest('hex');
  const out = JSON.parse(JSON.stringify(lines).replaceAll(old, swapped)) as Line[];
  out.splice(start + 1, endAt - start - 1, { t: 'chunk', data: bytes.toString('base64') });
  return out;
}

/** Adds an admin: a copy of the first user row under another ID and name. */
function addUser(lines: Line[]): Line[] {
  const start = lines.findIndex((l) => isRecord(l, 'table') && l.name === 'users');
  const columns = (lines[start] as { columns: string[] }).columns;
  const row = [...(lines[start + 1] as unknown[])];
  const id = columns.indexOf('id');
  row[id] = typeof row[id] === 'number' ? 999_999 : `intruder-${randomBytes(4).toString('hex')}`;
  row[columns.indexOf('username')] = 'intruder';
  row[columns.indexOf('role')] = 'admin';
  return [...lines.slice(0, start + 1), row, ...lines.slice(start + 1)];
}

/** Empties the audit log. */
function eraseAudit(lines: Line[]): Line[] {
  const start = lines.findIndex((l) => isRecord(l, 'table') && l.name === 'audit_events');
  const end = lines.findIndex((l, i) => i > start && isRecord(l, 'table-end'));
  return [...lines.slice(0, start + 1), ...lines.slice(end)];
}

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
    // What devices may have accepted from the source, up to now (changes made after the backup included).
    const generationOf = async (from: Api, appId: string) =>
      (await from.ok('GET', `/api/v1/host-apps/${population.workspaceId}/${appId}/manifest`)).generation as number;
    const first = population.apps[0].appId;
    await api.ok('PUT', `/api/v1/host-apps/${population.workspaceId}/${first}/dev-config`, devConfigForm('app0.example.com'));
    const seenBySourceDevices = await generationOf(api, first);
    const res = await cli(['admin', 'restore', backupFile, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json()).toMatchObject({ source: 'sqlite', packages: 2 });
    const server = await startServer(env.MPOP_DATA_DIR, env);
    try {
      const restored = new Api(server.url, await apiToken(server.url));
      await expectPopulation(restored, population);
      // Every host app's answers moved past anything the source's devices accepted: a restore never rolls them back.
      for (const a of population.apps) expect(await generationOf(restored, a.appId)).toBeGreaterThan(seenBySourceDevices);
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

  /**
   * The same old backup restored twice: the first restored installation runs and hands out generations above the
   * backup's; a second restore of that backup, told which installation it replaces, lands above all of them.
   */
  async function restoreTwice(first: Record<string, string>, second: Record<string, string>, third: Record<string, string>) {
    const restored = await cli(['admin', 'restore', backupFile, '--json'], first);
    expect(restored.code, restored.stderr).toBe(0);
    const once = restored.json().generation as number;
    const server = await startServer(first.MPOP_DATA_DIR, first);
    let handedOut = 0;
    try {
      const a = new Api(server.url, await apiToken(server.url));
      const appId = population.apps[0].appId;
      for (const domain of ['again1.example.com', 'again2.example.com', 'again3.example.com']) {
        await a.ok('PUT', `/api/v1/host-apps/${population.workspaceId}/${appId}/dev-config`, devConfigForm(domain));
      }
      for (const app of population.apps) {
        const g = (await a.ok('GET', `/api/v1/host-apps/${population.workspaceId}/${app.appId}/manifest`)).generation as number;
        handedOut = Math.max(handedOut, g);
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(handedOut).toBeGreaterThan(once);
    const firstUrl = first.DATABASE_URL || `sqlite:${path.join(first.MPOP_DATA_DIR, 'mpop.db')}`;

    // Told nothing, a restore knows only the backup: it lands where the first one did, below what devices accepted.
    const blind = await cli(['admin', 'restore', backupFile, '--json'], second);
    expect(blind.code, blind.stderr).toBe(0);
    expect(blind.json()).toMatchObject({ generation: once, aboveReplaced: false });

    const again = await cli(['admin', 'restore', backupFile, '--replacing', firstUrl], third);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Host apps answer at generation \d+, above the replaced installation's\./);
    const check = await startServer(third.MPOP_DATA_DIR, third);
    try {
      const b = new Api(check.url, await apiToken(check.url));
      for (const app of population.apps) {
        const g = (await b.ok('GET', `/api/v1/host-apps/${population.workspaceId}/${app.appId}/manifest`)).generation as number;
        expect(g).toBeGreaterThan(handedOut);
      }
    } finally {
      expect(await check.stop()).toBe(0);
    }
  }

  it('restores the same backup twice into SQLite: the second, told what it replaces, above every generation the first handed out', async () => {
    await restoreTwice(installation('twice-sqlite-1'), installation('twice-sqlite-2'), installation('twice-sqlite-3'));
  }, 180_000);

  it.skipIf(!PG)(
    'restores the same backup twice into PostgreSQL: the second, told what it replaces, above every generation the first handed out',
    async () => {
      await restoreTwice(await pgInstallation('twice-pg-1'), await pgInstallation('twice-pg-2'), await pgInstallation('twice-pg-3'));
    },
    180_000,
  );

  it('refuses to restore when the installation it replaces cannot be read, or --generation-above is not a number, writing nothing', async () => {
    const target = installation('replacing-missing');
    const missing = await cli(['admin', 'restore', backupFile, '--replacing', `sqlite:${path.join(work, 'nowhere', 'mpop.db')}`], target);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/The installation being replaced \(sqlite:.*nowhere.*\) could not be opened .*nothing was restored\./);
    expectUntouched(target);
    const bad = await cli(['admin', 'restore', backupFile, '--generation-above', '-3'], target);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--generation-above must be a whole number/);
    const above = await cli(['admin', 'restore', backupFile, '--generation-above', '5000000', '--json'], target);
    expect(above.code, above.stderr).toBe(0);
    expect(above.json()).toMatchObject({ generation: 6_000_000, aboveReplaced: true });
  }, 120_000);

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

  it('refuses a forged backup (checksums made to fit, HMAC not) before writing anything, on SQLite and PostgreSQL', async () => {
    const content = gunzipSync(fs.readFileSync(backupFile)).toString('utf8');
    const lines = content.trimEnd().split('\n');
    const variants: Record<string, Buffer> = {
      'swapped package': forge(content, swapPackage),
      'added admin': forge(content, addUser),
      'erased audit log': forge(content, eraseAudit),
      'made with another master key': forge(content, addUser, randomBytes(32)),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      const file = path.join(work, `${name.replace(/ /g, '-')}.backup`);
      fs.writeFileSync(file, bytes);
      const env = installation(`forged-${name.replace(/ /g, '-')}`);
      const res = await cli(['admin', 'restore', file], env);
      expect(res.code, `${name}: ${res.stderr}`).toBe(1);
      expect(res.stderr, name).toMatch(/does not verify with the master key from MPOP_MASTER_KEY: it was altered .*nothing was restored/);
      expectUntouched(env);
    }
    // Without its HMAC line, or cut after the manifest: truncated.
    const cut = path.join(work, 'no-mac.backup');
    fs.writeFileSync(cut, gzipSync(`${lines.slice(0, -1).join('\n')}\n`));
    const noMac = await cli(['admin', 'restore', cut], installation('refused-no-mac'));
    expect(noMac.code).toBe(1);
    expect(noMac.stderr).toMatch(/damaged or incomplete \(the file ends before its authentication line: it is truncated\)/);
    expectUntouched(installation('refused-no-mac'));
    // The old, unauthenticated format (version 1: no auth in the header, no HMAC line) is refused, never trusted.
    const v1 = lines.slice(0, -2).map((l, i) => {
      if (i > 0) return l;
      const { auth: _, ...header } = JSON.parse(l);
      return JSON.stringify({ ...header, version: 1 });
    });
    const body = `${v1.join('\n')}\n`;
    const manifest = { ...JSON.parse(lines.at(-2)!), sha256: createHash('sha256').update(body).digest('hex') };
    const old = path.join(work, 'v1.backup');
    fs.writeFileSync(old, gzipSync(`${body}${JSON.stringify(manifest)}\n`));
    const v1Res = await cli(['admin', 'restore', old], installation('refused-v1'));
    expect(v1Res.code).toBe(1);
    expect(v1Res.stderr).toMatch(
      /old format that is not authenticated .*nothing was restored\. Make a new backup with `mpop admin backup`/,
    );
    expectUntouched(installation('refused-v1'));

    if (PG) {
      const pg = await pgInstallation('forged-pg');
      const res = await cli(['admin', 'restore', path.join(work, 'swapped-package.backup')], pg);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/does not verify/);
      const schema = new URL(pg.DATABASE_URL).searchParams.get('options')!.split('=')[1];
      const tables = await adminQuery(`select count(*)::int as n from information_schema.tables where table_schema = '${schema}'`, PG);
      expect(tables.rows[0].n).toBe(0);
    }
    // The same edits with the right master key do verify (the forge helper itself is sound): the HMAC is what refuses.
    const honest = path.join(work, 'honest-copy.backup');
    fs.writeFileSync(
      honest,
      forge(content, (l) => l, Buffer.from(MASTER_KEY, 'base64')),
    );
    const ok = await cli(['admin', 'restore', honest, '--json'], installation('honest-copy'));
    expect(ok.code, ok.stderr).toBe(0);
  }, 180_000);

  it("refuses to back up with a master key that is not the installation's", async () => {
    const env = { ...installation('source'), MPOP_MASTER_KEY: randomBytes(32).toString('base64') };
    const file = path.join(work, 'wrong-key.backup');
    const res = await cli(['admin', 'backup', file], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/is not this installation's key.*nothing was written/);
    expect(fs.existsSync(file)).toBe(false);
  }, 60_000);

  it('refuses another master key, and a database or data dir that is not empty', async () => {
    const wrongKey = { ...installation('wrong-key'), MPOP_MASTER_KEY: randomBytes(32).toString('base64') };
    const res = await cli(['admin', 'restore', backupFile], wrongKey);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /does not verify with the master key from MPOP_MASTER_KEY.*nothing was restored\. A restore needs the master key/,
    );
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
