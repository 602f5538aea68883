import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import {
  CamelCasePlugin,
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type KyselyPlugin,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  SqliteDriver,
  type TransactionSettings,
} from 'kysely';
import { PREPARED } from './executor.js';
import type { Database } from './schema.js';
import { ensurePrivateDir, ensurePrivateFile } from '../lib/private-files.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The PostgreSQL pool, for LISTEN/NOTIFY; undefined on SQLite. */
  pool?: pg.Pool;
}

let loadedPg: typeof pg | undefined;
/**
 * The PostgreSQL driver, loaded by the first PostgreSQL connection (a SQLite installation never needs its memory),
 * with the type parsers mpop relies on.
 */
export function pgDriver(): typeof pg {
  if (loadedPg) return loadedPg;
  const driver = createRequire(import.meta.url)('pg') as typeof pg;
  // Counts come back from PostgreSQL as bigint strings; our counts fit in a double.
  driver.types.setTypeParser(driver.types.builtins.INT8, (v) => Number(v));
  // Timestamps are `timestamptz` in PostgreSQL; the API (and SQLite) speak ISO 8601 UTC strings with milliseconds.
  const parseTimestamptz = driver.types.getTypeParser(driver.types.builtins.TIMESTAMPTZ);
  driver.types.setTypeParser(driver.types.builtins.TIMESTAMPTZ, (v) => (parseTimestamptz(v) as Date).toISOString());
  loadedPg = driver;
  return driver;
}

/**
 * A SQLite transaction that may write begins IMMEDIATE: it takes the write lock at its start (waiting up to
 * `busy_timeout` for another process's writer) instead of reading first and upgrading later, which fails at once
 * with SQLITE_BUSY_SNAPSHOT when another process (a second worker, `mpop admin backup`'s audit event) wrote in
 * between. A transaction begun with `setAccessMode('read only')` stays deferred, so a long read (a backup's
 * snapshot) never holds the write lock.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection, settings?: TransactionSettings): Promise<void> {
    if (settings?.accessMode === 'read only') return super.beginTransaction(connection);
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/** Prepared statements kept per SQLite database, and the longest SQL kept (a long one is rare: a bulk insert). */
export const SQLITE_STATEMENTS_KEPT = 256;
const SQLITE_STATEMENT_MAX_CHARS = 4096;

/**
 * The database as Kysely's SQLite driver sees it, with its prepared statements kept by SQL text (the least recently
 * used dropped first). Kysely prepares every query anew, and preparing costs SQLite more than running most of
 * mpop's queries: the gate's view of a host app joins seven tables, and a release reads a thousand views in a few
 * dozen batches. A kept statement is safe to run again: Kysely runs one query at a time on the connection, and
 * SQLite prepares a statement again by itself after a schema change.
 */
export function keepingStatements(sqlite: SQLite.Database, kept = SQLITE_STATEMENTS_KEPT): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      statements.clear();
      sqlite.close();
    },
    prepare: (text: string) => {
      let stmt = statements.get(text);
      if (stmt) {
        statements.delete(text);
      } else {
        stmt = sqlite.prepare(text);
        if (text.length > SQLITE_STATEMENT_MAX_CHARS) return stmt;
        if (statements.size >= kept) statements.delete(statements.keys().next().value!);
      }
      statements.set(text, stmt);
      return stmt;
    },
  };
}

/** The SQLite driver, loaded by the first SQLite connection, as the PostgreSQL one is: PostgreSQL never loads the addon. */
const sqliteDriver = () => createRequire(import.meta.url)('better-sqlite3') as typeof SQLite;

/** The file of a `sqlite:<path>` URL; undefined for PostgreSQL and for an in-memory SQLite. */
export function sqliteFile(databaseUrl: string): string | undefined {
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  const file = databaseUrl.slice('sqlite:'.length);
  return file === ':memory:' ? undefined : path.resolve(file);
}

/** Names for marked statements: a hash of the text, so every connection and process gives one text one name. */
const preparedNames = new Map<string, string>();
const MAX_PREPARED_NAMES = 256;

function preparedName(text: string): string {
  let name = preparedNames.get(text);
  if (!name) {
    name = `mpop_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    if (preparedNames.size < MAX_PREPARED_NAMES) preparedNames.set(text, name);
  }
  return name;
}

/** Runs the statements marked PREPARED on this connection as named prepared statements (pg prepares each once). */
function prepareMarked(client: pg.PoolClient) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((text: unknown, values?: unknown, callback?: unknown) =>
    typeof text === 'string' && Array.isArray(values) && text.includes(PREPARED)
      ? query({ name: preparedName(text), text, values }, callback)
      : query(text, values, callback)) as typeof client.query;
}

export interface ConnectOptions {
  /** PostgreSQL: run statements marked PREPARED as named prepared statements (MPOP_PG_PREPARED_STATEMENTS; default on). */
  preparedStatements?: boolean;
}

/**
 * Opens the database named by a `DATABASE_URL`: `sqlite:<path>` or `postgres://…`. `extraPlugins` see every query
 * after the column names are mapped (tests count what start-up reads).
 */
export function connectDatabase(
  databaseUrl: string,
  extraPlugins: readonly KyselyPlugin[] = [],
  options: ConnectOptions = {},
): DatabaseHandle {
  const plugins = [new CamelCasePlugin(), ...extraPlugins];
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file !== ':memory:') {
      // Password hashes and sealed keys live here: the folder 0700 and the file 0600 (SQLite gives -wal/-shm the same).
      ensurePrivateDir(path.dirname(path.resolve(file)));
      ensurePrivateFile(file);
    }
    const sqlite = new (sqliteDriver())(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('synchronous = NORMAL');
    return {
      db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: keepingStatements(sqlite) }), plugins }),
      dialect: 'sqlite',
    };
  }
  const pool = new (pgDriver().Pool)({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5000 });
  // A client losing its server emits 'error'. pg-pool listens only while a client is idle, so a connection dying
  // during a query would be an unheard 'error' event, which crashes the process. The query itself still fails
  // (and is answered 503 DATABASE_UNAVAILABLE); these listeners only keep the process alive.
  pool.on('error', () => {});
  const prepared = options.preparedStatements ?? true;
  pool.on('connect', (client) => {
    client.on('error', () => {});
    if (prepared) prepareMarked(client);
  });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins }), dialect: 'postgres', pool };
}

/**
 * Opens another installation's database only to read it (a restore reads the generations of the one it replaces):
 * SQLite read-only, and only a file that exists (nothing is created, no pragma written); PostgreSQL as usual (the
 * caller only reads).
 */
export function connectDatabaseToRead(databaseUrl: string): DatabaseHandle {
  if (!databaseUrl.startsWith('sqlite:')) return connectDatabase(databaseUrl);
  const sqlite = new (sqliteDriver())(databaseUrl.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
  return {
    db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }), plugins: [new CamelCasePlugin()] }),
    dialect: 'sqlite',
  };
}

/** Whether an error means the database could not be reached (answered as 503 DATABASE_UNAVAILABLE). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; message?: string };
  const codes = [
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'ENOTFOUND',
    'EHOSTUNREACH',
    '57P01',
    '57P02',
    '57P03',
    '08000',
    '08001',
    '08003',
    '08006',
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_BUSY_RECOVERY',
    'SQLITE_BUSY_TIMEOUT',
    'SQLITE_CANTOPEN',
    'SQLITE_IOERR',
  ];
  if (e.code && codes.includes(e.code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Cannot use a pool after calling end|driver has already been destroyed|database connection is not open/i.test(
    e.message ?? '',
  );
}

/** Whether an error is a unique-constraint violation, optionally on a given column. */
export function isUniqueViolation(err: unknown, column?: string): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; message?: string; constraint?: string; detail?: string };
  const unique = e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  if (!unique || !column) return unique;
  return [e.message, e.constraint, e.detail].some((s) => s?.includes(column));
}
