import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../config.js';
import { connectDatabase, type Dialect } from '../../db/connect.js';
import { SecretBox } from '../../lib/crypto.js';
import { MasterKeyError, opensCheck, opensPrivateKey, resolveMasterKey } from './master-key.js';
import { nowIso } from '../../lib/time.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { BACKUP_FORMAT, BACKUP_VERSION, type BackupHeader, BackupWriter, encodeValue } from './backup-file.js';
import { type AnyDatabase, BackupRepository, type TableInfo } from './backup.repository.js';
import { META, MetaRepository } from './meta.repository.js';
import { openPackageFiles, type PackageFiles } from './package-files.js';

/** A refusal of backup or restore that says what to do; nothing was written. */
export class OperationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationError';
  }
}

export interface BackupSummary {
  file: string;
  bytes: number;
  sha256: string;
  createdAt: string;
  dialect: Dialect;
  migrations: string[];
  tables: Record<string, number>;
  packages: number;
}

export type Progress = (message: string) => void;

const BATCH = 1000;

/**
 * Writes one backup file: every table's rows and every package the data refers to, read in one transaction (a
 * PostgreSQL repeatable-read snapshot; on SQLite one read transaction over the WAL), so a backup taken while the
 * server writes is consistent. The master key is never in it (private keys stay sealed), but it authenticates the
 * file (an HMAC with a key derived from it), so the key must be the installation's: another one is refused, as a
 * backup only it could restore would be useless.
 */
export async function createBackup(config: Config, file: string, progress: Progress = () => {}): Promise<BackupSummary> {
  const target = path.resolve(file);
  if (fs.existsSync(target))
    throw new OperationError(`${target} already exists; choose another file name (a backup never overwrites a file).`);
  const mk = resolveMasterKey(config.dataDir, config.masterKey, { generate: false });
  const handle = connectDatabase(config.databaseUrl);
  let writer: BackupWriter | undefined;
  try {
    await checkKeyFitsData(handle.db, mk.key, mk.source);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writer = new BackupWriter(target, mk.key);
    return await writeBackup(handle, writer, config, progress);
  } catch (err) {
    await writer?.abort();
    throw err;
  } finally {
    await handle.db.destroy();
  }
}

/** Refuses a master key that does not open the installation's data (its check value, or else a sealed private key). */
async function checkKeyFitsData(db: ReturnType<typeof connectDatabase>['db'], key: Buffer, source: string): Promise<void> {
  const box = new SecretBox(key);
  const meta = new MetaRepository(db);
  let fits = true;
  try {
    if (await meta.get(META.masterKeyNextCheck)) {
      throw new OperationError('A master key rotation is unfinished: run `mpop admin rotate-master-key` again to finish it, then back up.');
    }
    const check = await meta.get(META.masterKeyCheck);
    const sample = check ? undefined : await meta.anySealedPrivateKey();
    fits = check ? opensCheck(box, check) : !sample || opensPrivateKey(box, sample.sealed, sample.workspaceId, sample.appId);
  } catch (err) {
    if (err instanceof OperationError) throw err;
    return; // no meta table yet: the backup itself says the database holds no mpop data
  }
  if (!fits) {
    throw new MasterKeyError(
      `The master key from ${source} is not this installation's key. A backup is authenticated with the installation's master key ` +
        '(only that key restores it): set MPOP_MASTER_KEY to it, or put its key file in MPOP_DATA_DIR; nothing was written.',
    );
  }
}

async function writeBackup(
  handle: ReturnType<typeof connectDatabase>,
  writer: BackupWriter,
  config: Config,
  progress: Progress,
): Promise<BackupSummary> {
  const target = writer.file;
  const files = openPackageFiles(config);
  const createdAt = nowIso();
  const raw = handle.db.withoutPlugins() as unknown as AnyDatabase;
  // Read only: a PostgreSQL repeatable-read snapshot; on SQLite a deferred transaction (one snapshot of the WAL that
  // never takes the write lock, so the server's writes go on).
  const tx =
    handle.dialect === 'postgres'
      ? raw.transaction().setIsolationLevel('repeatable read').setAccessMode('read only')
      : raw.transaction().setAccessMode('read only');
  const { migrations, tables, packages } = await tx.execute(async (trx) => {
    const repo = new BackupRepository(trx, handle.dialect);
    const migrations = await repo.appliedMigrations();
    if (migrations.length === 0) {
      throw new OperationError('This database holds no mpop data (it was never started); check DATABASE_URL.');
    }
    const header: BackupHeader = {
      t: 'header',
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt,
      source: { dialect: handle.dialect },
      migrations,
      auth: writer.auth,
    };
    await writer.line(header);
    const counts: Record<string, number> = {};
    for (const table of await repo.tables()) {
      counts[table.name] = await writeTable(writer, repo, table);
      progress(`table ${table.name}: ${counts[table.name]} rows`);
    }
    const packages: { sha256: string; size: number }[] = [];
    for (const sha256 of await repo.packageDigests()) {
      let stored: Awaited<ReturnType<PackageFiles['read']>>;
      try {
        stored = await files.read(sha256);
      } catch {
        throw new OperationError(
          `The package ${sha256} is in the database but not in the package store (${files.describe()}); restore it there, then back up again.`,
        );
      }
      const read = await writer.package(sha256, stored.size, stored.bytes);
      if (read.sha256 !== sha256 || read.size !== stored.size) {
        throw new OperationError(
          `The stored package ${sha256} is damaged (its bytes have another SHA-256); restore it from an earlier backup.`,
        );
      }
      packages.push(read);
    }
    progress(`packages: ${packages.length}`);
    return { migrations, tables: counts, packages };
  });
  const sha256 = await writer.finish({ tables, packages });
  const bytes = fs.statSync(target).size;
  try {
    // After the snapshot (so not in it): who made a copy of every sealed key, and which file; nothing secret.
    await new AuditRepository(handle.db).record({
      actor: adminActor(),
      action: 'installation.backed-up',
      target: `backup:${path.basename(target)}`,
      details: { sha256, bytes, packages: packages.length },
    });
  } catch (err) {
    fs.rmSync(target, { force: true }); // a backup nobody can see in the audit log is not left behind
    throw err;
  }
  return {
    file: target,
    bytes,
    sha256,
    createdAt,
    dialect: handle.dialect,
    migrations,
    tables,
    packages: packages.length,
  };
}

/** The audit log's actor for a command run on the data itself: `mpop admin`, with the operating system's user when known. */
function adminActor(): string {
  try {
    return `mpop admin (${os.userInfo().username})`.slice(0, 128);
  } catch {
    return 'mpop admin';
  }
}

async function writeTable(writer: BackupWriter, repo: BackupRepository, table: TableInfo): Promise<number> {
  await writer.line({ t: 'table', name: table.name, columns: table.columns });
  let rows = 0;
  let after: unknown[] | undefined;
  for (;;) {
    const batch = await repo.batch(table, after, rows, BATCH);
    for (const row of batch) await writer.line(table.columns.map((c) => encodeValue(row[c])));
    rows += batch.length;
    if (batch.length < BATCH) break;
    const last = batch[batch.length - 1];
    after = table.primaryKey.map((c) => last[c]);
  }
  await writer.line({ t: 'table-end', name: table.name, rows });
  return rows;
}
