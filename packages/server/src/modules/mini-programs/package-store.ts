import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ZipFile } from 'yauzl';
import type { Config } from '../../config.js';
import { ensurePrivateDir } from '../../lib/private-files.js';
import { openZipFile } from './zip-inspect.js';

/** An upload received into the store's staging area, not yet a package. */
export interface ReceivedFile {
  /** Where the store staged it (a path or an object key); only the store reads it. */
  staged: string;
  sha256: string;
  size: number;
}

/** A byte range of a stored package, both ends included (as in HTTP). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where package files live, content-addressed by SHA-256: the local directory (default) or an S3-compatible
 * object store. An upload is streamed into a staging area while it is hashed (never held in memory as a whole),
 * inspected there, then committed under its hash; nothing half-received is ever visible as a package.
 */
export interface PackageStore {
  /** Streams an upload to the staging area, hashing as it goes. `truncated()` tells whether a size limit cut it. */
  receive(stream: Readable, truncated?: () => boolean): Promise<ReceivedFile & { truncated: boolean }>;
  /** Opens a staged upload as a zip archive (for inspection before it is committed). */
  openZip(file: ReceivedFile): Promise<ZipFile>;
  /** Makes a staged upload the package of its hash; identical content is stored once. */
  commit(file: ReceivedFile): Promise<void>;
  /** Drops a staged upload (a failed or rejected one). Never fails. */
  discard(file: ReceivedFile): Promise<void>;
  /** @returns the size of a stored package, or undefined when there is none with that hash. */
  size(sha256: string): Promise<number | undefined>;
  /** The bytes of a stored package (all, or one range). */
  read(sha256: string, range?: ByteRange): Promise<Readable>;
  delete(sha256: string): Promise<void>;
  close(): Promise<void>;
}

/** Hashes and counts the bytes that pass through. */
export function meter() {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest('hex'), size }) };
}

/** A store answered with more or fewer bytes than the package (or range) has. */
export class PackageLengthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageLengthError';
  }
}

/**
 * The `length` bytes of `source` that follow its first `skip`. With `exact`, a source that has more bytes after
 * them, or fewer, fails the stream before the excess is passed on (an HTTP answer whose Content-Length announced
 * `length` must never carry other bytes: on a keep-alive connection they would be read as the next answer).
 * Without it, the source is dropped once the window is read (a store that ignored a Range sends the whole file).
 */
export function byteWindow(source: Readable, length: number, { skip = 0, exact = true } = {}): Readable {
  const end = skip + length;
  return Readable.from(
    (async function* () {
      let pos = 0;
      for await (const chunk of source as AsyncIterable<Buffer>) {
        const from = pos;
        pos += chunk.length;
        if (exact && pos > end) throw new PackageLengthError(`the package store sent more than the ${length} bytes announced`);
        const a = Math.max(skip - from, 0);
        const b = Math.min(end - from, chunk.length);
        if (b > a) yield chunk.subarray(a, b);
        if (!exact && pos >= end) return;
      }
      if (pos < end) throw new PackageLengthError(`the package store sent ${Math.max(pos - skip, 0)} of the ${length} bytes announced`);
    })(),
    { objectMode: false },
  );
}

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

  /** Removes other instances' staging folders in which nothing has changed for a day. */
  private sweep() {
    const now = Date.now();
    for (const name of fs.readdirSync(this.parent)) {
      const dir = path.join(this.parent, name);
      if (dir === this.dir) continue;
      try {
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

/** The store the configuration names. The S3 client is loaded only when it is used. */
export async function openPackageStore(config: Config): Promise<PackageStore> {
  const c = config.packageStore;
  if (c.kind === 'local') return new LocalPackageStore(c.dir);
  const { S3PackageStore } = await import('./s3-package-store.js');
  return new S3PackageStore(c);
}
