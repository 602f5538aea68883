import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PackageCache } from './cache.js';

export * from './index.js';

/**
 * A package cache in a directory (Node only): `<dir>/<sha256>.zip`, written to a temporary file and renamed, so a
 * crash never leaves half a package under its name. The client hashes what it reads back before using it.
 */
export class DirectoryCache implements PackageCache {
  constructor(readonly dir: string) {}

  private file(sha256: string) {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`Not a SHA-256: ${sha256}`);
    return path.join(this.dir, `${sha256}.zip`);
  }

  async get(sha256: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.file(sha256)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async set(sha256: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.file(sha256)}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, this.file(sha256));
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.file(sha256), { force: true });
  }
}
