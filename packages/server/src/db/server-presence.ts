import os from 'node:os';
import type pg from 'pg';
import { pgDriver, sqliteFile } from './connect.js';
import { lockSqlite, SqliteLockedError } from './sqlite-lock.js';

/**
 * Who may work on the data alone. A running server shows it is there: on SQLite with the database's lock file
 * (sqlite-lock.ts), on PostgreSQL with a shared advisory lock held for its life on its listening connection (see
 * PgNotifyTransport). An operation that must not run beside a server (the master key rotation) takes the SQLite lock,
 * or the exclusive advisory lock, which PostgreSQL grants only while no server holds the shared one.
 *
 * The PostgreSQL lock is named by two integers: a constant for mpop and a hash of the schema, so that installations
 * in separate schemas of one database do not block each other.
 */
const MPOP_CLASS = 0x6d706f70; // "mpop"
const LOCK_ARGS = `${MPOP_CLASS}, hashtext(current_schema())`;

/** What an mpop server calls itself on PostgreSQL (`application_name`), so that a refusal can name it. */
export const serverApplicationName = () => `mpop server pid ${process.pid} on ${os.hostname()}`.slice(0, 63);

/** Takes a running server's shared hold on this connection's session. @returns false while an exclusive one is held. */
export async function takeServerShare(client: pg.ClientBase): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock_shared(${LOCK_ARGS}) as ok`);
  return r.rows[0]?.ok === true;
}

/** The message of a server refused at start because an exclusive operation holds the database. */
export const EXCLUSIVE_RUNNING =
  'A master key rotation (mpop admin rotate-master-key) is running on this database; start the server once it has finished.';

export class DatabaseInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseInUseError';
  }
}

/**
 * Holds the database of `databaseUrl` for this process alone, or refuses with DatabaseInUseError naming what holds
 * it (`what` says what is being refused). @returns the function that lets go.
 */
export async function holdExclusively(databaseUrl: string, what: string): Promise<() => Promise<void>> {
  if (databaseUrl.startsWith('sqlite:')) {
    const file = sqliteFile(databaseUrl);
    if (!file) return async () => {};
    try {
      const unlock = lockSqlite(file);
      return async () => unlock();
    } catch (err) {
      if (err instanceof SqliteLockedError)
        throw new DatabaseInUseError(`${what} cannot run while a server uses the database. ${err.message}`);
      throw err;
    }
  }
  const client = new (pgDriver().Client)({ connectionString: databaseUrl, application_name: `mpop admin pid ${process.pid}` });
  client.on('error', () => {}); // a lost connection fails the next query; an unheard 'error' event would crash
  await client.connect();
  try {
    const r = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock(${LOCK_ARGS}) as ok`);
    if (r.rows[0]?.ok !== true) {
      const holders = await client.query<{ name: string; addr: string | null }>(
        `select a.application_name as name, host(a.client_addr) as addr from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.classid = ${MPOP_CLASS}::oid and l.objid = (hashtext(current_schema())::bigint & 4294967295)::oid
            and l.objsubid = 2 and l.granted and l.pid <> pg_backend_pid() limit 5`,
      );
      const names = holders.rows.map((h) => (h.addr ? `${h.name || 'a server'} (from ${h.addr})` : h.name || 'a server'));
      throw new DatabaseInUseError(
        `${what} cannot run while a server uses the database: ${names.length ? names.join(', ') : 'an mpop server'} holds it. ` +
          'Stop every mpop instance that uses this database, then run this again.',
      );
    }
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return async () => {
    await client.end().catch(() => {});
  };
}
