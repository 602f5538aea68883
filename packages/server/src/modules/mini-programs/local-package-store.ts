import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ensurePrivateDir } from '../../lib/private-files.js';
import { type ByteRange, meter, type PackageStore, type ReceivedFile } from './package-store.js';
import { openZipFile } from './zip-inspect.js';

const STAGING_MAX_AGE_MS = 24 * 3600_000;

/**
 * A staging folder of this process only: `<parent>/<host>-<pid>-<random>`. Several instances may share the
 * parent (a shared data dir), so at start none empties it: only folders untouched for a day are removed (left by
 * a process that died), and this process removes its own at close.
 */
export class StagingDir {
  readonly dir: string;

  constructor(readonly parent: string) {
    this.dir = path.join(parent, `${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.sweep();
  }

  file(): string {
    return path.join(this.dir, `${randomBytes(16).toString('hex')}.part`);
  }

  /**
   * Removes what other instances left: at once the folders of processes of this host that are gone (a crash, a
   * Ctrl-C that cut an upload), and any folder in which nothing has changed for a day (another host's).
   */
  private sweep() {
    const now = Date.now();
    const host = os.hostname();
    for (const name of fs.readdirSync(this.parent)) {
      const dir = path.join(this.parent, name);
      if (dir === this.dir) continue;
      try {
        const pid = name.startsWith(`${host}-`) ? Number(name.slice(host.length + 1).split('-')[0]) : Number.NaN;
        if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) {
          fs.rmSync(dir, { recursive: true, force: true });
          continue;
        }
        const times = [fs.statSync(dir).mtimeMs, ...fs.readdirSync(dir).map((f) => fs.statSync(path.join(dir, f)).mtimeMs)];
        if (now - Math.max(...times) > STAGING_MAX_AGE_MS) fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        /* another instance removed it first, or it is not ours to read */
      }
    }
  }

  close() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether a process of this host is running (EPERM: it is, under another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Packages as files under a directory: `<dir>/ab/abcd….zip`, staged in `<dir>/.staging/<instance>/` (same file system: an atomic rename commits). */
export class LocalPackageStore implements PackageStore {
  readonly staging: StagingDir;

  constructor(readonly root: string) {
    ensurePrivateDir(root);
    this.staging = new StagingDir(path.join(root, '.staging'));
  }

  async receive(stream: Readable, truncated: () => boolean = () => false) {
    const staged = this.staging.file();
    const m = meter();
    try {
      await pipeline(stream, m.stream, fs.createWriteStream(staged, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      await fs.promises.rm(staged, { force: true });
      throw err;
    }
    return { staged, ...m.result(), truncated: truncated() };
  }

  openZip(file: ReceivedFile) {
    return openZipFile(file.staged);
  }

  async commit(file: ReceivedFile) {
    const target = this.pathFor(file.sha256);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    if (fs.existsSync(target)) await this.discard(file);
    else await fs.promises.rename(file.staged, target);
  }

  async discard(file: ReceivedFile) {
    await fs.promises.rm(file.staged, { force: true });
  }

  async size(sha256: string) {
    try {
      return (await fs.promises.stat(this.pathFor(sha256))).size;
    } catch {
      return undefined;
    }
  }

  async read(sha256: string, range?: ByteRange) {
    const stream = fs.createReadStream(this.pathFor(sha256), range ? { start: range.start, end: range.end } : {});
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    return stream;
  }

  async delete(sha256: string) {
    await fs.promises.rm(this.pathFor(sha256), { force: true });
  }

  async close() {
    this.staging.close();
  }

  pathFor(sha256: string): string {
    return path.join(this.root, sha256.slice(0, 2), `${sha256}.zip`);
  }
}
