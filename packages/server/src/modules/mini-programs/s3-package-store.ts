import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import yauzl, { type ZipFile } from 'yauzl';
import type { ByteRange, PackageStore, ReceivedFile } from './package-store.js';
import { byteWindow, meter } from './package-store.js';
import { ZIP_OPTIONS } from './zip-inspect.js';

export interface S3Location {
  bucket: string;
  /** Folder of the keys in the bucket, without slashes at the ends; may be empty. */
  prefix: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

/** The end of a staged upload read at once for inspection: it holds the zip's central directory. */
const TAIL_BYTES = 256 * 1024;
const SIZE_CACHE = 10_000;

/**
 * Packages in an S3-compatible bucket (AWS S3, Alibaba Cloud OSS, MinIO, ...): `<prefix>/<sha256>.zip`, flat, so a
 * CDN whose origin is the bucket serves `packageUrl` = `MPOP_PACKAGE_BASE_URL/<sha256>.zip` unchanged. Uploads
 * stream (multipart for large ones) to `<prefix>/.uploads/<random>` while hashed, are inspected there with ranged
 * reads, then copied to their hash's key inside the store. Credentials come from the usual AWS variables.
 */
export class S3PackageStore implements PackageStore {
  private readonly client: S3Client;
  /** Packages never change: a size once seen stays true (until deleted here). */
  private readonly sizes = new Map<string, number>();

  constructor(private readonly loc: S3Location) {
    this.client = new S3Client({
      region: loc.region ?? process.env.AWS_REGION ?? 'us-east-1',
      endpoint: loc.endpoint,
      forcePathStyle: loc.forcePathStyle,
      // Only what the S3 API requires: several compatible stores do not take the newer default checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key(name: string) {
    return this.loc.prefix ? `${this.loc.prefix}/${name}` : name;
  }

  async receive(stream: Readable, truncated: () => boolean = () => false) {
    const staged = this.key(`.uploads/${randomBytes(16).toString('hex')}`);
    const m = meter();
    const body = new PassThrough();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.loc.bucket, Key: staged, Body: body, ContentType: 'application/zip' },
      queueSize: 2,
    });
    const uploaded = upload.done();
    uploaded.catch(() => {}); // awaited below; a stream failure must not leave an unhandled rejection
    try {
      await Promise.all([pipeline(stream, m.stream, body), uploaded]);
    } catch (err) {
      await upload.abort().catch(() => {});
      await this.discard({ staged, sha256: '', size: 0 });
      throw err;
    }
    return { staged, ...m.result(), truncated: truncated() };
  }

  async openZip(file: ReceivedFile): Promise<ZipFile> {
    const tailStart = Math.max(0, file.size - TAIL_BYTES);
    const tail = file.size > 0 ? await this.bytes(file.staged, { start: tailStart, end: file.size - 1 }) : Buffer.alloc(0);
    const reader = new RangeReader((start, end) => {
      if (start >= tailStart) return Readable.from([tail.subarray(start - tailStart, end - tailStart)]);
      const out = new PassThrough();
      this.get(file.staged, { start, end: end - 1 }).then(
        (s) => s.pipe(out),
        (err) => out.destroy(err),
      );
      return out;
    });
    return new Promise((resolve, reject) =>
      yauzl.fromRandomAccessReader(reader, file.size, ZIP_OPTIONS, (err, zip) => (err ? reject(err) : resolve(zip))),
    );
  }

  async commit(file: ReceivedFile) {
    if ((await this.size(file.sha256)) === undefined) {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.loc.bucket,
          Key: this.key(`${file.sha256}.zip`),
          CopySource: `${this.loc.bucket}/${file.staged.split('/').map(encodeURIComponent).join('/')}`,
          ContentType: 'application/zip',
          MetadataDirective: 'REPLACE',
        }),
      );
    }
    await this.discard(file);
  }

  async discard(file: ReceivedFile) {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: file.staged })).catch(() => {});
  }

  async size(sha256: string) {
    const known = this.sizes.get(sha256);
    if (known !== undefined) return known;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: this.key(`${sha256}.zip`) }));
      const size = Number(head.ContentLength);
      if (this.sizes.size >= SIZE_CACHE) this.sizes.delete(this.sizes.keys().next().value!);
      this.sizes.set(sha256, size);
      return size;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  read(sha256: string, range?: ByteRange) {
    return this.get(this.key(`${sha256}.zip`), range);
  }

  async delete(sha256: string) {
    this.sizes.delete(sha256);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.key(`${sha256}.zip`) }));
  }

  async close() {
    this.client.destroy();
  }

  /**
   * The object's bytes, or exactly the asked range of them: a store that ignores `Range` (it answers the whole
   * object, without Content-Range) is cut to the range here, and one that answers another range is refused, so
   * the caller never gets bytes it did not ask for.
   */
  private async get(key: string, range?: ByteRange): Promise<Readable> {
    const res = await this.client.send(
      new GetObjectCommand({ Bucket: this.loc.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
    );
    const body = res.Body as Readable;
    if (!range) return body;
    const length = range.end - range.start + 1;
    if (res.ContentRange === undefined) return byteWindow(body, length, { skip: range.start, exact: false });
    if (!res.ContentRange.startsWith(`bytes ${range.start}-${range.end}/`)) {
      body.destroy();
      throw new Error(
        `the object store answered the range ${res.ContentRange} to a request for bytes ${range.start}-${range.end} of ${key}`,
      );
    }
    return byteWindow(body, length);
  }

  private async bytes(key: string, range: ByteRange): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await pipeline(await this.get(key, range), async (source: AsyncIterable<Buffer>) => {
      for await (const c of source) chunks.push(c);
    });
    return Buffer.concat(chunks);
  }
}

const isMissing = (err: unknown) =>
  err instanceof NotFound ||
  err instanceof NoSuchKey ||
  (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

/** yauzl's random access over ranged reads (`end` exclusive, as yauzl asks). */
class RangeReader extends yauzl.RandomAccessReader {
  constructor(private readonly open: (start: number, end: number) => Readable) {
    super();
  }
  // @types/yauzl declares the return type void; yauzl reads the stream this returns.
  _readStreamForRange(start: number, end: number): Readable {
    return this.open(start, end);
  }
}
