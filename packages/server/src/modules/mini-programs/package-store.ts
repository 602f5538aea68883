import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
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
