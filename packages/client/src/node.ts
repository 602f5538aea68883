import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PackageCache } from './cache.js';
import { MpopClient as BaseClient, type MpopClientOptions } from './client.js';
import type { StateStore } from './store.js';

export * from './index.js';

/**
 * The client's state in one JSON file (Node only), written to a temporary file and renamed, so a crash leaves the
 * old state or the new one, never half of one. Writes are made one after the other.
 */
export class FileStore implements StateStore {
  private values?: Promise<Record<string, string>>;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  private read(): Promise<Record<string, string>> {
    this.values ??= readFile(this.file, 'utf8').then(
      (text) => {
        const parsed = JSON.parse(text) as unknown;
        return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
      },
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return {};
        throw err;
      },
    );
    return this.values;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.read())[key];
  }

  async set(key: string, value: string): Promise<void> {
    const values = await this.read();
    values[key] = value;
    const text = JSON.stringify(values);
    const write = this.writing.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.file);
    });
    this.writing = write.catch(() => {});
    await write;
  }
}

/** Where `@mpop/client/node` keeps a host app's state by default: `~/.mpop/<workspaceId>-<appId>.json`. */
export const defaultStateFile = (config: { workspaceId: string; appId: string }) =>
  path.join(os.homedir(), '.mpop', `${config.workspaceId}-${config.appId}.json`.replace(/[^A-Za-z0-9._-]/g, '_'));

/** The client, with its state kept in a file by default (`defaultStateFile`; the `store` option overrides it). */
export class MpopClient extends BaseClient {
  constructor(options: MpopClientOptions) {
    super({ ...options, store: options.store ?? (options.config ? new FileStore(defaultStateFile(options.config)) : undefined) });
  }
}

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
