import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ReceivedFile {
  tmpPath: string;
  sha256: string;
  size: number;
}

/**
 * Package files, stored by SHA-256 under `<data dir>/packages/ab/abcd….zip`. An upload is streamed to
 * `<data dir>/tmp` while it is hashed, then renamed into place: a crash mid-upload leaves no half file in the store
 * (and the temporary folder is emptied at start).
 */
export class PackageStore {
  readonly root: string;
  private readonly tmp: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'packages');
    this.tmp = path.join(dataDir, 'tmp');
    fs.mkdirSync(this.root, { recursive: true });
    fs.rmSync(this.tmp, { recursive: true, force: true });
    fs.mkdirSync(this.tmp, { recursive: true });
  }

  /** Streams an upload to a temporary file, hashing as it goes; the file is removed if the stream fails. */
  async receive(stream: Readable): Promise<ReceivedFile> {
    const tmpPath = path.join(this.tmp, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(stream, meter, fs.createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      await this.discard(tmpPath);
      throw err;
    }
    return { tmpPath, sha256: hash.digest('hex'), size };
  }

  /** Moves a received file into the store (atomic rename); identical content is stored once. */
  async commit(file: ReceivedFile): Promise<void> {
    const target = this.pathFor(file.sha256);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    if (fs.existsSync(target)) await this.discard(file.tmpPath);
    else await fs.promises.rename(file.tmpPath, target);
  }

  async discard(tmpPath: string): Promise<void> {
    await fs.promises.rm(tmpPath, { force: true });
  }

  /** Path relative to the store root, for `sendFile`. */
  relative(sha256: string): string {
    return path.join(sha256.slice(0, 2), `${sha256}.zip`);
  }

  pathFor(sha256: string): string {
    return path.join(this.root, this.relative(sha256));
  }
}
