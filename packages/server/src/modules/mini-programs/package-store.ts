import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { ZipFile } from 'yauzl';

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
