import fs from 'node:fs';
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createGunzip, createGzip } from 'node:zlib';

/**
 * The backup file: gzip over JSON lines, the same for SQLite and PostgreSQL.
 *
 *   {"t":"header","format":"mpop-backup","version":2,"createdAt":…,"source":{"dialect":…},"migrations":[…],
 *    "auth":{"mac":"HMAC-SHA-256","kdf":"HKDF-SHA-256","info":"mpop backup authentication v1","salt":"<base64>"}}
 *   {"t":"table","name":"host_apps","columns":["id","app_id",…]}
 *   [1,"0123456789ABC",…]                          one line per row, values in column order
 *   {"t":"table-end","name":"host_apps","rows":12}
 *   {"t":"package","sha256":…,"size":…}             then its bytes, base64, 48 KiB a line:
 *   {"t":"chunk","data":"…"}
 *   {"t":"package-end","sha256":…}
 *   {"t":"end","tables":{…rows by table},"packages":[{sha256,size}],"sha256":"<SHA-256 of every byte above>"}
 *   {"t":"mac","hmac":"<HMAC-SHA-256 of every byte above, the manifest included>"}
 *
 * The manifest says what the file must hold, with a SHA-256 over everything before it: it finds accidental
 * damage (a file cut short has no manifest; a changed byte breaks the digest, a package's own SHA-256, or a row
 * count). The last line authenticates the whole content (header, every section, the manifest): an HMAC keyed
 * with a key derived from the installation's master key (HKDF-SHA-256, the header's salt, the label above), which
 * the backup store does not hold. Whoever can write the backups can recompute a SHA-256 but not this: a swapped
 * package, an added user or an erased audit log no longer verifies, and a restore refuses the file before it
 * writes anything. Version 1 files had only the SHA-256; they cannot be told apart from forgeries and are refused.
 */
export const BACKUP_FORMAT = 'mpop-backup';
export const BACKUP_VERSION = 2;
/** The HKDF label of the backup authentication key: a key for this use only, never the master key itself. */
export const BACKUP_AUTH_INFO = 'mpop backup authentication v1';
const CHUNK_BYTES = 48 * 1024;

export interface BackupHeader {
  t: 'header';
  format: string;
  version: number;
  createdAt: string;
  source: { dialect: 'sqlite' | 'postgres' };
  migrations: string[];
  auth: BackupAuth;
}

/** How the file is authenticated (in the header, so covered by the HMAC itself). */
export interface BackupAuth {
  mac: 'HMAC-SHA-256';
  kdf: 'HKDF-SHA-256';
  info: string;
  /** base64 of 16 random bytes, new for every backup. */
  salt: string;
}

/** The HMAC key of one backup: HKDF-SHA-256 of the master key with the backup's salt and the label. */
export function backupAuthKey(masterKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, salt, BACKUP_AUTH_INFO, 32));
}

export interface BackupManifest {
  t: 'end';
  tables: Record<string, number>;
  packages: { sha256: string; size: number }[];
  sha256: string;
}

/** The file is not a whole, unaltered mpop backup. */
export class BackupFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupFileError';
  }
}

/**
 * The file is whole but not authenticated by this master key: altered after it was made (by someone who
 * recomputed its SHA-256), made by an installation with another master key, or an old, unauthenticated format.
 */
export class BackupAuthError extends BackupFileError {
  constructor(
    message: string,
    /** `old-format`: a version 1 file, which carries no authentication at all. */
    readonly reason: 'mismatch' | 'old-format' = 'mismatch',
  ) {
    super(message);
    this.name = 'BackupAuthError';
  }
}

/** Values that JSON cannot carry as they are: bytes and structured (JSON) columns. */
export function encodeValue(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { $bytes: v.toString('base64') };
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object') return { $json: v };
  return v;
}

export function decodeValue(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64');
    if ('$json' in o) return { $json: o.$json };
  }
  return v;
}

/**
 * Writes a backup to `<file>.partial` and renames it to `file` only once it is complete, so a failed or
 * interrupted backup never leaves a file that looks like a backup.
 */
export class BackupWriter {
  private readonly hash = createHash('sha256');
  private readonly mac: ReturnType<typeof createHmac>;
  /** What the header must carry so a reader can derive the same key. */
  readonly auth: BackupAuth;
  private readonly gzip = createGzip();
  private readonly out: fs.WriteStream;
  private readonly done: Promise<void>;
  private failed: Error | undefined;
  readonly partial: string;

  constructor(
    readonly file: string,
    masterKey: Buffer,
  ) {
    const salt = randomBytes(16);
    this.auth = { mac: 'HMAC-SHA-256', kdf: 'HKDF-SHA-256', info: BACKUP_AUTH_INFO, salt: salt.toString('base64') };
    this.mac = createHmac('sha256', backupAuthKey(masterKey, salt));
    this.partial = `${file}.${randomBytes(4).toString('hex')}.partial`;
    this.out = fs.createWriteStream(this.partial, { flags: 'wx', mode: 0o600 });
    this.gzip.pipe(this.out);
    const fail = (err: Error) => (this.failed ??= err);
    this.gzip.on('error', fail);
    this.out.on('error', fail);
    this.done = new Promise((resolve, reject) => {
      this.out.on('close', () => (this.failed ? reject(this.failed) : resolve()));
      this.out.on('error', reject);
    });
  }

  async line(record: unknown): Promise<void> {
    if (this.failed) throw this.failed;
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    this.hash.update(bytes);
    this.mac.update(bytes);
    if (!this.gzip.write(bytes)) await once(this.gzip, 'drain');
  }

  /** Writes a package's bytes as chunk lines; @returns their SHA-256 and size as read. */
  async package(sha256: string, size: number, bytes: AsyncIterable<Buffer>): Promise<{ sha256: string; size: number }> {
    await this.line({ t: 'package', sha256, size });
    const digest = createHash('sha256');
    let read = 0;
    let pending: Buffer = Buffer.alloc(0);
    for await (const chunk of bytes) {
      digest.update(chunk);
      read += chunk.length;
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= CHUNK_BYTES) {
        await this.line({ t: 'chunk', data: pending.subarray(0, CHUNK_BYTES).toString('base64') });
        pending = pending.subarray(CHUNK_BYTES);
      }
    }
    if (pending.length) await this.line({ t: 'chunk', data: pending.toString('base64') });
    await this.line({ t: 'package-end', sha256 });
    return { sha256: digest.digest('hex'), size: read };
  }

  /**
   * Writes the manifest and the HMAC over everything (the manifest included), closes the file and gives it its
   * final name. @returns the digest in the manifest.
   */
  async finish(manifest: Omit<BackupManifest, 't' | 'sha256'>): Promise<string> {
    const sha256 = this.hash.digest('hex');
    const end = Buffer.from(`${JSON.stringify({ t: 'end', ...manifest, sha256 })}\n`, 'utf8');
    const hmac = this.mac.update(end).digest('hex');
    this.gzip.end(Buffer.concat([end, Buffer.from(`${JSON.stringify({ t: 'mac', hmac })}\n`, 'utf8')]));
    await this.done;
    const fd = fs.openSync(this.partial, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(this.partial, this.file);
    return sha256;
  }

  async abort(): Promise<void> {
    this.gzip.destroy();
    this.out.destroy();
    await fs.promises.rm(this.partial, { force: true });
  }
}

/** One record of a backup file, checked for its place in the structure. */
export type BackupRecord =
  | { t: 'header'; header: BackupHeader }
  | { t: 'table'; name: string; columns: string[] }
  | { t: 'row'; table: string; columns: string[]; values: unknown[] }
  | { t: 'table-end'; name: string; rows: number }
  | { t: 'package'; sha256: string; size: number }
  | { t: 'chunk'; data: Buffer }
  | { t: 'package-end'; sha256: string; size: number }
  | { t: 'end'; manifest: BackupManifest };

/** The lines of a gzip file as buffers (without the newline); a cut-off gzip stream is an error. */
async function* lines(file: string): AsyncGenerator<Buffer> {
  const input = fs.createReadStream(file).pipe(createGunzip());
  let rest: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let buf: Buffer = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      let nl = buf.indexOf(10);
      while (nl !== -1) {
        yield buf.subarray(0, nl);
        buf = buf.subarray(nl + 1);
        nl = buf.indexOf(10);
      }
      rest = buf;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw err;
    throw new BackupFileError(`it is not a complete gzip stream (${(err as Error).message}); the file is truncated or damaged`);
  }
  if (rest.length) yield rest;
}

/**
 * Reads a backup file record by record, checking as it goes: the header, the order of the sections, the number
 * of values in each row, each package's size and SHA-256, then the manifest (counts and the SHA-256 of everything
 * before it) and last the HMAC of everything with the key derived from `masterKey`. Any misfit throws a
 * BackupFileError (a BackupAuthError when the HMAC does not verify): the caller must not trust what it has read so
 * far until the `end` record has been yielded, which happens only once the HMAC has verified.
 */
export async function* readBackup(file: string, masterKey: Buffer): AsyncGenerator<BackupRecord> {
  const hash = createHash('sha256');
  let mac: ReturnType<typeof createHmac> | undefined;
  let manifest: BackupManifest | undefined;
  let lineNo = 0;
  let header: BackupHeader | undefined;
  let table: { name: string; columns: string[]; rows: number } | undefined;
  let pkg: { sha256: string; size: number; read: number; hash: ReturnType<typeof createHash> } | undefined;
  const tables: Record<string, number> = {};
  const packages: { sha256: string; size: number }[] = [];
  let ended = false;
  const bad = (what: string): never => {
    throw new BackupFileError(`line ${lineNo}: ${what}`);
  };

  for await (const raw of lines(file)) {
    lineNo++;
    if (ended) bad('there is data after the authentication line');
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      bad('it is not valid JSON');
    }
    const kind = Array.isArray(value) ? 'row' : (value as { t?: string })?.t;
    if (kind !== 'end' && kind !== 'mac') hash.update(raw).update('\n');
    if (kind !== 'mac') mac?.update(raw).update('\n');
    if (manifest && kind !== 'mac') bad('there is data after the manifest');

    if (!header) {
      const h = value as BackupHeader;
      if (h?.t !== 'header' || h.format !== BACKUP_FORMAT) bad('this is not an mpop backup file');
      if (h.version === 1) {
        throw new BackupAuthError(
          'this backup has format version 1, which is not authenticated: it cannot be told apart from a forged one',
          'old-format',
        );
      }
      if (h.version !== BACKUP_VERSION) bad(`this backup has format version ${h.version}; this mpop reads version ${BACKUP_VERSION}`);
      if (!Array.isArray(h.migrations)) bad('the header has no migration list');
      const a = h.auth;
      if (a?.mac !== 'HMAC-SHA-256' || a.kdf !== 'HKDF-SHA-256' || a.info !== BACKUP_AUTH_INFO || typeof a.salt !== 'string')
        bad('the header does not say how the file is authenticated');
      const salt = Buffer.from(a.salt, 'base64');
      if (salt.length < 16) bad('the header does not say how the file is authenticated');
      mac = createHmac('sha256', backupAuthKey(masterKey, salt));
      mac.update(raw).update('\n');
      header = h;
      yield { t: 'header', header: h };
      continue;
    }
    if (Array.isArray(value)) {
      if (!table) bad('a row outside of a table section');
      if (value.length !== table!.columns.length) bad(`a row of ${table!.name} has ${value.length} values, not ${table!.columns.length}`);
      table!.rows++;
      yield { t: 'row', table: table!.name, columns: table!.columns, values: value.map(decodeValue) };
      continue;
    }
    const r = value as Record<string, unknown>;
    switch (r?.t) {
      case 'table':
        if (table || pkg) bad('a table section inside another section');
        if (typeof r.name !== 'string' || !Array.isArray(r.columns)) bad('a malformed table section');
        if ((r.name as string) in tables) bad(`the table ${r.name} appears twice`);
        table = { name: r.name as string, columns: r.columns as string[], rows: 0 };
        yield { t: 'table', name: table.name, columns: table.columns };
        break;
      case 'table-end':
        if (!table || r.name !== table.name) bad('a table end without its start');
        if (r.rows !== table!.rows) bad(`the table ${table!.name} should have ${r.rows} rows but has ${table!.rows}`);
        tables[table!.name] = table!.rows;
        yield { t: 'table-end', name: table!.name, rows: table!.rows };
        table = undefined;
        break;
      case 'package':
        if (table || pkg) bad('a package inside another section');
        if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256) || typeof r.size !== 'number') bad('a malformed package');
        pkg = { sha256: r.sha256 as string, size: r.size as number, read: 0, hash: createHash('sha256') };
        yield { t: 'package', sha256: pkg.sha256, size: pkg.size };
        break;
      case 'chunk': {
        if (!pkg || typeof r.data !== 'string') bad('package data outside of a package');
        const data = Buffer.from(r.data as string, 'base64');
        pkg!.read += data.length;
        if (pkg!.read > pkg!.size) bad(`the package ${pkg!.sha256} is longer than its size`);
        pkg!.hash.update(data);
        yield { t: 'chunk', data };
        break;
      }
      case 'package-end': {
        if (!pkg || r.sha256 !== pkg.sha256) bad('a package end without its start');
        if (pkg!.read !== pkg!.size) bad(`the package ${pkg!.sha256} has ${pkg!.read} bytes, not ${pkg!.size}`);
        if (pkg!.hash.digest('hex') !== pkg!.sha256) bad(`the bytes of package ${pkg!.sha256} do not have that SHA-256`);
        packages.push({ sha256: pkg!.sha256, size: pkg!.size });
        yield { t: 'package-end', sha256: pkg!.sha256, size: pkg!.size };
        pkg = undefined;
        break;
      }
      case 'end': {
        if (table || pkg) bad('the manifest comes inside a section');
        if (manifest) bad('a second manifest');
        const m = r as unknown as BackupManifest;
        if (m.sha256 !== hash.digest('hex')) bad('the content does not match the SHA-256 in the manifest');
        const listed = Object.entries(m.tables ?? {});
        if (listed.length !== Object.keys(tables).length || listed.some(([name, rows]) => tables[name] !== rows)) {
          bad('the tables do not match the manifest');
        }
        if (
          !Array.isArray(m.packages) ||
          m.packages.length !== packages.length ||
          m.packages.some((p, i) => p.sha256 !== packages[i].sha256 || p.size !== packages[i].size)
        ) {
          bad('the packages do not match the manifest');
        }
        manifest = m;
        break;
      }
      case 'mac': {
        if (!manifest) bad('the authentication line comes before the manifest');
        const expected = mac!.digest();
        const given = typeof r.hmac === 'string' && /^[0-9a-f]{64}$/.test(r.hmac) ? Buffer.from(r.hmac, 'hex') : Buffer.alloc(0);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new BackupAuthError('its HMAC does not verify with this master key');
        }
        ended = true;
        yield { t: 'end', manifest: manifest! };
        break;
      }
      default:
        bad('an unknown record');
    }
  }
  if (!header) throw new BackupFileError('the file is empty');
  if (!manifest) throw new BackupFileError('the file ends before its manifest: it is truncated');
  if (!ended) throw new BackupFileError('the file ends before its authentication line: it is truncated');
}
