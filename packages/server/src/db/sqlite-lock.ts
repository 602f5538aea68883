import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** How many holds this process has on each lock file (tests build several apps on one file in one process). */
const held = new Map<string, number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // it exists, it is just not ours to signal
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

export class SqliteLockedError extends Error {}

/**
 * Makes this process the one owner of a SQLite database: a second, independent mpop on the same file would keep
 * its own caches and serve stale answers, so it refuses to start and says why. The lock is `<file>.lock` holding
 * the owner's pid and host; a lock whose process is gone (on this host) is stale and taken over. Processes of one
 * `MPOP_WORKERS` cluster share the primary's lock. @returns a function that releases the hold.
 */
export function lockSqlite(dbFile: string): () => void {
  const file = `${path.resolve(dbFile)}.lock`;
  const count = held.get(file) ?? 0;
  if (count === 0) take(file);
  held.set(file, count + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (held.get(file) ?? 1) - 1;
    if (left > 0) {
      held.set(file, left);
      return;
    }
    held.delete(file);
    if (readOwner(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
}

function take(file: string, attempt = 0): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const me: LockOwner = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  try {
    fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = readOwner(file);
  const sameHost = owner?.hostname === os.hostname();
  // Stale: its process is gone (checkable on this host only), or the file is unreadable (a crash while writing it).
  if (attempt === 0 && (!owner || (sameHost && owner.pid !== process.pid && !alive(owner.pid)))) {
    fs.rmSync(file, { force: true });
    take(file, 1);
    return;
  }
  if (owner && sameHost && owner.pid === process.pid) return; // this process already owns it
  const who = owner ? `pid ${owner.pid} on ${owner.hostname}, since ${owner.startedAt}` : 'another process';
  throw new SqliteLockedError(
    `Another mpop (${who}) is using the SQLite database ${file.slice(0, -'.lock'.length)}. ` +
      'A SQLite database serves one mpop: stop the other one, or use MPOP_WORKERS for more processes on this server, ' +
      `or PostgreSQL (DATABASE_URL) for several servers. If no such process runs any more, delete ${file}.`,
  );
}
