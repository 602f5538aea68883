import cluster from 'node:cluster';
import type { KyselyPlugin } from 'kysely';
import type { Config } from './config.js';
import { connectDatabase, type DatabaseHandle, sqliteFile } from './db/connect.js';
import { migrateToLatest } from './db/migrations/index.js';
import { lockSqlite } from './db/sqlite-lock.js';
import { SecretBox } from './lib/crypto.js';
import { ensurePrivateDir } from './lib/private-files.js';
import { openPackageStore } from './modules/mini-programs/open-package-store.js';
import type { PackageStore } from './modules/mini-programs/package-store.js';
import { FileDirectory } from './modules/mpaas/file-directory.js';
import { lazyDirectory, type MpaasDirectory, UnconfiguredDirectory } from './modules/mpaas/mpaas-directory.js';
import { type MasterKey, resolveMasterKey, verifyMasterKey } from './modules/operations/master-key.js';

/**
 * What a server runs on, opened and checked: the data dir, the master key, the package store and the database
 * (held, migrated, and proven to open with this master key). Nothing here knows Fastify; the services are made
 * from it (`services.ts`) and `app.ts` closes it when the server closes.
 */
export interface Installation {
  masterKey: MasterKey;
  /** Seals and opens the secrets at rest with the master key. */
  box: SecretBox;
  packageStore: PackageStore;
  database: DatabaseHandle;
  /** Where "Sync mPaaS Backend Apps" reads from; its file, when one is named, was checked before anything opened. */
  mpaasDirectory: MpaasDirectory;
  /** What the migrations had to say; logged by the caller once its logger exists. */
  migrationWarnings: string[];
  /** Closes the package store and the database and lets go of the SQLite lock, in that order. */
  close(): Promise<void>;
}

/** A live mPaaS backend when configured, else the offline directory file, else a directory that explains what to set. */
async function mpaasDirectory(config: Config): Promise<MpaasDirectory> {
  const { mpaas } = config;
  if (mpaas) {
    return lazyDirectory(async () => {
      const { OpenApiDirectory } = await import('./modules/mpaas/openapi-directory.js');
      return new OpenApiDirectory({ ...mpaas, timeoutMs: config.mpaasTimeoutMs });
    });
  }
  if (config.mpaasDirectoryFile) return FileDirectory.checkedAtStart(config.mpaasDirectoryFile);
  return new UnconfiguredDirectory();
}

/**
 * Opens the installation the configuration names. A refusal (a bad directory file, a wrong master key, a
 * database another mpop holds, a failed migration) throws with the database closed and the lock released.
 */
export async function openInstallation(config: Config, databasePlugins: readonly KyselyPlugin[] = []): Promise<Installation> {
  // Settings that name files are checked before anything is opened, so a refusal leaves nothing behind.
  const directory = await mpaasDirectory(config);
  ensurePrivateDir(config.dataDir);
  const masterKey = resolveMasterKey(config.dataDir, config.masterKey);
  const box = new SecretBox(masterKey.key);
  const packageStore = await openPackageStore(config);
  // One SQLite database, one mpop (its workers share the primary's hold): a second one would serve stale answers.
  const dbFile = sqliteFile(config.databaseUrl);
  const unlock = dbFile && !cluster.isWorker ? lockSqlite(dbFile) : () => {};
  const handle = connectDatabase(config.databaseUrl, databasePlugins, { preparedStatements: config.pgPreparedStatements });
  const migrationWarnings: string[] = [];
  try {
    await migrateToLatest(handle.db, handle.dialect, (message) => migrationWarnings.push(message));
    await verifyMasterKey(handle.db, masterKey, config.dataDir);
  } catch (err) {
    await handle.db.destroy();
    unlock();
    throw err;
  }
  return {
    masterKey,
    box,
    packageStore,
    database: handle,
    mpaasDirectory: directory,
    migrationWarnings,
    async close() {
      await packageStore.close();
      await handle.db.destroy();
      unlock();
    },
  };
}
