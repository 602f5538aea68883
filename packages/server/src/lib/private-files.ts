import fs from 'node:fs';

/**
 * The data dir holds the SQLite database (password hashes, sealed keys), the master key and the packages: no other
 * local user may read it. Directories are made 0700 and the database 0600, whatever the umask; ones left wider by
 * an earlier version are narrowed on start.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  narrow(dir, 0o700);
}

/** Creates the file if missing (empty, 0600) and narrows an existing one to 0600. */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  narrow(file, 0o600);
}

function narrow(target: string, mode: number) {
  const current = fs.statSync(target).mode & 0o777;
  if ((current & ~mode) === 0) return;
  try {
    fs.chmodSync(target, current & mode);
  } catch (err) {
    // Not ours to change (another owner): say so rather than refuse to start.
    process.emitWarning(
      `${target} is readable by other users (mode ${current.toString(8)}) and could not be narrowed: ${(err as Error).message}`,
    );
  }
}
