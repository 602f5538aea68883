import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Config } from '../../config.js';
import { connectDatabase, connectDatabaseToRead, type Dialect } from '../../db/connect.js';
import { redactDatabaseUrl } from '../../config.js';
import { knownMigrations, migrateTo, migrateToLatest } from '../../db/migrations/index.js';
import { SecretBox } from '../../lib/crypto.js';
import { MasterKeyError, masterKeyFile, opensCheck, opensPrivateKey, resolveMasterKey } from './master-key.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { BackupAuthError, BackupFileError, type BackupHeader, type BackupManifest, readBackup } from './backup-file.js';
import { OperationError, type Progress } from './backup.service.js';
import { type AnyDatabase, BackupRepository, type TableInfo } from './backup.repository.js';
import { META } from './meta.repository.js';
import { GenerationRepository, RESTORE_GENERATION_MARGIN } from '../host-apps/generation.repository.js';
import { openPackageFiles } from './package-files.js';

export interface RestoreSummary {
  file: string;
  createdAt: string;
  source: Dialect;
  target: Dialect;
  tables: Record<string, number>;
  packages: number;
  migrations: string[];
  /** The generation every host app's answers have now (restore.service.ts `restoreGeneration`). */
  generation: number;
  /** Whether it is above a known generation of the installation being replaced (`replacing`, `generationAbove`). */
  aboveReplaced: boolean;
}

/** What a restore knows of the installation it replaces, so that its devices never see a generation go back. */
export interface RestoreOptions {
  /**
   * The `DATABASE_URL` of the installation the restore replaces (read only, before anything is written): its highest
   * generation counts, with the backup's. After a first restore of a backup, this is what keeps a second restore of
   * the same backup above what the first one's devices accepted.
   */
  replacing?: string;
  /** The highest generation devices of the installation may hold, when its database is gone (from a log, a device). */
  generationAbove?: number;
}

/** What the first pass over a backup learns: it is whole, and which master key its data needs. */
interface BackupFacts {
  header: BackupHeader;
  manifest: BackupManifest;
  check?: string;
  sample?: { sealed: string; workspaceId: string; appId: string };
}

/** Reads the whole file once, checking every byte against the manifest and the HMAC; nothing is written. */
async function inspect(file: string, masterKey: Buffer): Promise<BackupFacts> {
  let header: BackupHeader | undefined;
  let manifest: BackupManifest | undefined;
  let check: string | undefined;
  let sealed: { hostAppId: unknown; sealed: string } | undefined;
  const hostApps = new Map<unknown, { workspaceId: string; appId: string }>();
  for await (const rec of readBackup(file, masterKey)) {
    if (rec.t === 'header') header = rec.header;
    else if (rec.t === 'end') manifest = rec.manifest;
    else if (rec.t === 'row') {
      const v = (c: string) => rec.values[rec.columns.indexOf(c)];
      if (rec.table === 'meta' && v('name') === META.masterKeyCheck) check = String(v('value'));
      if (rec.table === 'host_apps') hostApps.set(v('id'), { workspaceId: String(v('workspace_id')), appId: String(v('app_id')) });
      if (rec.table === 'dev_configs' && !sealed) sealed = { hostAppId: v('host_app_id'), sealed: String(v('private_key_sealed')) };
    }
  }
  const owner = sealed && hostApps.get(sealed.hostAppId);
  return { header: header!, manifest: manifest!, check, sample: owner && { sealed: sealed!.sealed, ...owner } };
}

/** A backup value as the target database takes it. */
function adapt(value: unknown, type: string | undefined, dialect: Dialect): unknown {
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && '$json' in value) {
    const json = (value as { $json: unknown }).$json;
    return dialect === 'postgres' && type === 'array' ? json : JSON.stringify(json);
  }
  if (typeof value === 'boolean' && dialect === 'sqlite') return value ? 1 : 0;
  return value;
}

const isPrefix = (a: string[], b: string[]) => a.length <= b.length && a.every((x, i) => x === b[i]);

/**
 * Restores a backup into an empty database and package store (the server stopped). It needs the master key of the
 * installation the backup comes from (MPOP_MASTER_KEY or the key file): the whole file is checked first, its HMAC
 * with the key derived from that master key included (a truncated, altered or forged file, or one made with another
 * key, is refused before anything is written), then the master key is checked against the backup's check value,
 * then the target must be empty. The schema is rebuilt at the backup's
 * migration, every row is inserted in one transaction with the packages beside it (a failure removes them and
 * rolls the rows back), and the remaining migrations run last. A backup of SQLite restores into PostgreSQL and
 * the other way round.
 */
export async function restoreBackup(
  config: Config,
  file: string,
  progress: Progress = () => {},
  options: RestoreOptions = {},
): Promise<RestoreSummary> {
  const source = path.resolve(file);
  if (!fs.existsSync(source)) throw new OperationError(`${source} does not exist.`);
  const mk = resolveMasterKey(config.dataDir, config.masterKey, { generate: false });
  const keyPlace = mk.source === 'MPOP_MASTER_KEY' ? 'MPOP_MASTER_KEY' : `the key file ${mk.source}`;
  progress('checking the backup file');
  let facts: BackupFacts;
  try {
    facts = await inspect(source, mk.key);
  } catch (err) {
    if (err instanceof BackupAuthError && err.reason === 'old-format') {
      throw new OperationError(
        `The backup ${source} has an old format that is not authenticated (${err.message}); nothing was restored. ` +
          'Make a new backup with `mpop admin backup` from the installation (or with the mpop version that made this one), and restore that.',
      );
    }
    if (err instanceof BackupAuthError) {
      throw new OperationError(
        `The backup ${source} does not verify with the master key from ${keyPlace}: it was altered after it was made, or it was made by an installation with another master key; nothing was restored. ` +
          `A restore needs the master key of the installation the backup comes from: set MPOP_MASTER_KEY to it, or put its file at ${masterKeyFile(config.dataDir)}.`,
      );
    }
    if (err instanceof BackupFileError)
      throw new OperationError(`The backup ${source} is damaged or incomplete (${err.message}); nothing was restored.`);
    throw err;
  }
  const { header } = facts;

  const box = new SecretBox(mk.key);
  const keyFits = facts.check
    ? opensCheck(box, facts.check)
    : !facts.sample || opensPrivateKey(box, facts.sample.sealed, facts.sample.workspaceId, facts.sample.appId);
  if (!keyFits) {
    throw new MasterKeyError(
      `The master key from ${mk.source === 'MPOP_MASTER_KEY' ? 'MPOP_MASTER_KEY' : mk.source} is not the key of the installation this backup comes from. ` +
        `Set MPOP_MASTER_KEY to that installation's key, or put its key file at ${masterKeyFile(config.dataDir)}; nothing was restored.`,
    );
  }

  // Read before anything is written: a database that cannot be read refuses the restore.
  const floor = Math.max(options.generationAbove ?? 0, options.replacing ? await highestGenerationAt(options.replacing) : 0);

  const handle = connectDatabase(config.databaseUrl);
  const files = openPackageFiles(config);
  try {
    const known = knownMigrations(handle.dialect);
    if (!isPrefix(header.migrations, known)) {
      const unknown = header.migrations.find((m, i) => known[i] !== m);
      throw new OperationError(
        `The backup comes from another mpop version (migration ${unknown} is unknown here): restore it with that version or a later one.`,
      );
    }
    const raw = handle.db.withoutPlugins() as unknown as AnyDatabase;
    const repo = new BackupRepository(raw, handle.dialect);
    const applied = await repo.appliedMigrations();
    if (!isPrefix(applied, header.migrations)) {
      throw new OperationError(
        `The database already has a newer schema than the backup (${applied.at(-1)}); restore into a new, empty database (createdb mpop_restored, then DATABASE_URL=…/mpop_restored).`,
      );
    }
    if (applied.length > 0) {
      const used = await repo.nonEmptyTables(await repo.tables());
      if (used.length > 0) {
        throw new OperationError(
          `The database is not empty (${used
            .slice(0, 3)
            .map((u) => `${u.name}: ${u.rows} rows`)
            .join(
              ', ',
            )}); a restore goes into a new, empty database: create one (createdb mpop_restored) and point DATABASE_URL at it, or use an empty MPOP_DATA_DIR for SQLite.`,
        );
      }
    }
    if (!(await files.isEmpty())) {
      throw new OperationError(
        `The package store ${files.describe()} already holds packages; restore into an empty MPOP_DATA_DIR (or package store).`,
      );
    }

    progress(`rebuilding the schema at ${header.migrations.at(-1)}`);
    await migrateTo(handle.db, handle.dialect, header.migrations.at(-1)!);
    const targetTables = new Map((await repo.tables()).map((t) => [t.name, t]));
    const written: string[] = [];
    try {
      await handle.db.transaction().execute(async (trx) => {
        const into = new BackupRepository(trx.withoutPlugins() as unknown as AnyDatabase, handle.dialect);
        await insertAll(source, mk.key, into, targetTables, handle.dialect, files, written, progress);
        await into.resetSequences([...targetTables.values()]);
        await new AuditRepository(trx).record({
          actor: 'mpop admin',
          action: 'installation.restored',
          target: `backup:${path.basename(source)}`,
          details: {
            createdAt: header.createdAt,
            from: header.source.dialect,
            rows: facts.manifest.tables,
            packages: facts.manifest.packages.length,
          },
        });
      });
    } catch (err) {
      for (const sha256 of written) await files.remove(sha256).catch(() => {});
      if (err instanceof BackupFileError)
        throw new OperationError(`The backup ${source} changed while it was restored (${err.message}); nothing was restored.`);
      throw err;
    }
    progress('bringing the schema up to date');
    await migrateToLatest(handle.db, handle.dialect);
    // Devices may have accepted answers made after the backup: every host app's generation moves well past them, and
    // past what the installation being replaced handed out, when it is known.
    const generation = await handle.db
      .transaction()
      .execute((trx) => new GenerationRepository(trx).raiseAll(RESTORE_GENERATION_MARGIN, floor));
    return {
      file: source,
      createdAt: header.createdAt,
      source: header.source.dialect,
      target: handle.dialect,
      tables: facts.manifest.tables,
      packages: facts.manifest.packages.length,
      migrations: knownMigrations(handle.dialect),
      generation,
      aboveReplaced: options.replacing !== undefined || options.generationAbove !== undefined,
    };
  } finally {
    await handle.db.destroy();
  }
}

/** The highest generation the installation at `databaseUrl` handed out (its database is only read). */
async function highestGenerationAt(databaseUrl: string): Promise<number> {
  const where = redactDatabaseUrl(databaseUrl);
  let handle: ReturnType<typeof connectDatabaseToRead>;
  try {
    handle = connectDatabaseToRead(databaseUrl);
  } catch (err) {
    throw new OperationError(
      `The installation being replaced (${where}) could not be opened (${(err as Error).message}); nothing was restored.`,
    );
  }
  try {
    return await new GenerationRepository(handle.db).highest();
  } catch (err) {
    throw new OperationError(
      `The generations of the installation being replaced (${where}) could not be read (${(err as Error).message}); nothing was restored. ` +
        'Give the DATABASE_URL of an mpop installation, or the highest generation its devices may hold with --generation-above.',
    );
  } finally {
    await handle.db.destroy();
  }
}

/** The second pass: rows into the transaction's tables, package bytes into the store. */
async function insertAll(
  source: string,
  masterKey: Buffer,
  into: BackupRepository,
  tables: Map<string, TableInfo>,
  dialect: Dialect,
  files: ReturnType<typeof openPackageFiles>,
  written: string[],
  progress: Progress,
) {
  let table: TableInfo | undefined;
  let batch: Record<string, unknown>[] = [];
  let batchMax = 1;
  let pkg: { stream: PassThrough; done: Promise<void> } | undefined;
  try {
    await insertRecords();
  } catch (err) {
    pkg?.stream.destroy(err as Error); // ends a package write in progress
    throw err;
  }

  async function insertRecords() {
    for await (const rec of readBackup(source, masterKey)) {
      switch (rec.t) {
        case 'table': {
          table = tables.get(rec.name);
          const missing = table ? rec.columns.filter((c) => !table!.columns.includes(c)) : rec.columns;
          if (!table || missing.length > 0) {
            throw new OperationError(
              `The backup's table ${rec.name} does not fit this schema (${missing.join(', ')}); nothing was restored.`,
            );
          }
          batchMax = Math.max(1, Math.min(500, Math.floor(30_000 / rec.columns.length)));
          break;
        }
        case 'row': {
          const row: Record<string, unknown> = {};
          rec.columns.forEach((c, i) => {
            row[c] = adapt(rec.values[i], table!.types[c], dialect);
          });
          batch.push(row);
          if (batch.length >= batchMax) {
            await into.insert(rec.table, batch);
            batch = [];
          }
          break;
        }
        case 'table-end':
          await into.insert(rec.name, batch);
          batch = [];
          progress(`table ${rec.name}: ${rec.rows} rows`);
          break;
        case 'package': {
          const stream = new PassThrough();
          written.push(rec.sha256);
          pkg = { stream, done: files.write(rec.sha256, stream) };
          pkg.done.catch(() => {}); // awaited at package-end; a failure also ends the wait for 'drain' below
          break;
        }
        case 'chunk':
          if (!pkg!.stream.write(rec.data)) await Promise.race([once(pkg!.stream, 'drain'), pkg!.done]);
          break;
        case 'package-end':
          pkg!.stream.end();
          await pkg!.done;
          pkg = undefined;
          break;
        case 'end':
          progress(`packages: ${written.length}`);
          break;
      }
    }
  }
}
