import type { Config } from './config.js';
import { redactDatabaseUrl } from './config.js';
import { DatabaseInUseError } from './db/server-presence.js';
import { MasterKeyError } from './modules/operations/master-key.js';

type ErrorLike = { code?: string; message?: string; cause?: unknown; syscall?: string };

/** The error and its causes, outermost first. */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (let e = err; e && typeof e === 'object' && out.length < 10; e = (e as ErrorLike).cause) out.push(e as ErrorLike);
  return out;
}

function postgresParts(databaseUrl: string) {
  try {
    const u = new URL(databaseUrl);
    return {
      host: u.hostname || 'localhost',
      port: u.port || '5432',
      user: decodeURIComponent(u.username) || process.env.USER || 'postgres',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')),
    };
  } catch {
    return undefined;
  }
}

/**
 * Turns a failure at start-up into a message that says what to do: which variable to change, which command to
 * run. Returns undefined for failures it does not recognise (the caller prints those as they are).
 */
export function explainStartupError(err: unknown, config: Config): string | undefined {
  const errors = chain(err);
  const plain = errors.find(
    (e) => e instanceof MasterKeyError || e instanceof DatabaseInUseError || (e as Error).name === 'DirectoryFileError',
  );
  if (plain) return (plain as Error).message;
  const codes = new Set(errors.map((e) => e.code).filter(Boolean));
  const messages = errors.map((e) => e.message ?? '').join(' | ');

  if (codes.has('EADDRINUSE') && errors.some((e) => e.syscall === 'listen')) {
    return (
      `Port ${config.port} on ${config.host} is already in use (another mpop, or another program). ` +
      `Stop that program, or start on another port: PORT=${config.port === 65535 ? 8081 : config.port + 1} npm start`
    );
  }
  if (codes.has('EACCES') && errors.some((e) => e.syscall === 'listen')) {
    return `This user may not listen on port ${config.port} (ports under 1024 need privileges). Use a higher port, such as PORT=8080, behind a proxy.`;
  }
  if (codes.has('EADDRNOTAVAIL')) {
    return `The address HOST=${config.host} is not one of this machine's; use HOST=0.0.0.0 (every interface) or HOST=127.0.0.1.`;
  }

  const shown = redactDatabaseUrl(config.databaseUrl);
  if (config.databaseUrl.startsWith('sqlite:')) {
    if (['SQLITE_CANTOPEN', 'EACCES', 'EROFS', 'SQLITE_READONLY'].some((c) => codes.has(c))) {
      const file = config.databaseUrl.slice('sqlite:'.length);
      return `Cannot open the SQLite database ${file}: make its directory writable by this user, or set MPOP_DATA_DIR (or DATABASE_URL=sqlite:<path>) to a writable place.`;
    }
    return undefined;
  }
  const pg = postgresParts(config.databaseUrl);
  if (!pg) return undefined;
  const where = `${pg.host}:${pg.port}`;
  if (codes.has('3D000')) {
    return (
      `The database "${pg.database}" does not exist on the PostgreSQL server at ${where}. Create it, then start again: ` +
      `createdb -h ${pg.host} -p ${pg.port} -U ${pg.user} ${pg.database}   (or set DATABASE_URL to an existing database; now ${shown})`
    );
  }
  if (codes.has('ECONNREFUSED')) {
    return (
      `Cannot connect to PostgreSQL at ${where}: the connection was refused (no server listens there). ` +
      `Start PostgreSQL, or set DATABASE_URL to a server that runs, such as postgres://user@host:5432/mpop (now ${shown}).`
    );
  }
  if (codes.has('ENOTFOUND') || codes.has('EAI_AGAIN')) {
    return `The PostgreSQL host "${pg.host}" in DATABASE_URL is not known to the name resolver; check the host name (now ${shown}).`;
  }
  if (codes.has('28P01') || codes.has('28000')) {
    return (
      `PostgreSQL at ${where} refused the user "${pg.user}" (wrong password, or no pg_hba.conf entry for this host). ` +
      `Check the user and password in DATABASE_URL: postgres://user:password@host:port/db (now ${shown}).`
    );
  }
  if (codes.has('ETIMEDOUT') || /timeout exceeded when trying to connect|connection timeout/i.test(messages)) {
    return `PostgreSQL at ${where} did not answer within 5 seconds: check that the server runs and that a firewall lets this machine through (DATABASE_URL is ${shown}).`;
  }
  if (codes.has('42501')) {
    return `The PostgreSQL user "${pg.user}" may not create tables in "${pg.database}": grant it (GRANT CREATE ON SCHEMA public TO ${pg.user}), or use the database's owner in DATABASE_URL.`;
  }
  return undefined;
}
