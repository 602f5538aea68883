import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../../config.js';

/**
 * The package files as backup and restore see them: read one by its SHA-256, write one (checked against its
 * SHA-256), remove one. Independent of the running server's package store object, which owns a staging folder.
 */
export interface PackageFiles {
  /** The bytes and size of a stored package; rejects when there is none. */
  read(sha256: string): Promise<{ bytes: Readable; size: number }>;
  /** Stores the bytes under their SHA-256; refuses bytes that do not have it. */
  write(sha256: string, bytes: Readable): Promise<void>;
  remove(sha256: string): Promise<void>;
  /** Whether the store holds no package at all (a restore goes only into an empty one). */
  isEmpty(): Promise<boolean>;
  /** Where the packages live, for messages. */
  describe(): string;
}

/** `<dir>/ab/abcd….zip`, as the package store lays them out. */
class LocalPackageFiles implements PackageFiles {
  constructor(private readonly root: string) {}

  private file(sha256: string) {
    return path.join(this.root, sha256.slice(0, 2), `${sha256}.zip`);
  }

  async read(sha256: string): Promise<{ bytes: Readable; size: number }> {
    const file = this.file(sha256);
    const { size } = await fs.promises.stat(file);
    return { bytes: fs.createReadStream(file), size };
  }

  async write(sha256: string, bytes: Readable): Promise<void> {
    const target = this.file(sha256);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(4).toString('hex')}.restoring`;
    const hash = createHash('sha256');
    bytes.on('data', (c: Buffer) => hash.update(c));
    try {
      await pipeline(bytes, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      if (hash.digest('hex') !== sha256) throw new Error(`The bytes of package ${sha256} do not have that SHA-256.`);
      await fs.promises.rename(tmp, target);
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }

  async remove(sha256: string): Promise<void> {
    await fs.promises.rm(this.file(sha256), { force: true });
  }

  async isEmpty(): Promise<boolean> {
    if (!fs.existsSync(this.root)) return true;
    for (const sub of await fs.promises.readdir(this.root)) {
      const dir = path.join(this.root, sub);
      if ((await fs.promises.stat(dir)).isDirectory() && (await fs.promises.readdir(dir)).some((f) => f.endsWith('.zip'))) return false;
    }
    return true;
  }

  describe() {
    return this.root;
  }
}

export function openPackageFiles(config: Config): PackageFiles {
  if (config.packageStore.kind !== 'local') {
    throw new Error('Backups of an S3 package store are not supported by this build; back up the bucket with its own tools.');
  }
  return new LocalPackageFiles(config.packageStore.dir);
}
