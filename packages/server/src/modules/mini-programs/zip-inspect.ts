import fs from 'node:fs';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { AppError } from '../../lib/app-error.js';

const invalid = (why: string) => new AppError('INVALID_PACKAGE', `The package is not a valid mini program: ${why}`);
const MiB = 1024 * 1024;
const APP_JSON_MAX = MiB;

/**
 * What a package may expand to on a device. A zip bomb (1 MiB of zip that inflates to 1 GiB) is refused twice
 * over: by the sizes the central directory declares, and by counting the bytes really inflated, since a
 * declared size is only the sender's word.
 */
export interface PackageLimits {
  /** Files and folders in the archive. */
  maxEntries: number;
  /** The sum of every entry's uncompressed size. */
  maxUncompressedBytes: number;
  /** Uncompressed size / zip file size, checked once the archive expands to more than `ratioFloorBytes`. */
  maxRatio: number;
  /** Uncompressed / compressed size of one entry, checked for entries over `ratioFloorBytes`. */
  maxEntryRatio: number;
  /** Small files may compress very well (a page of spaces); ratios only matter above this size. */
  ratioFloorBytes: number;
}

export const PACKAGE_LIMITS: PackageLimits = {
  maxEntries: 10_000,
  maxUncompressedBytes: 512 * MiB,
  maxRatio: 100,
  maxEntryRatio: 200,
  ratioFloorBytes: 8 * MiB,
};

/** A page path as app.json lists it: path segments of letters, digits, `_`, `-` and `.`, none starting with a dot. */
const PAGE_PATH = /^[\p{L}\p{N}_-][\p{L}\p{N}_.-]*(\/[\p{L}\p{N}_-][\p{L}\p{N}_.-]*)*$/u;
const PAGE_PATH_MAX = 256;
const PAGES_MAX = 1000;

/** The yauzl options every package is opened with: unsafe names refused, entry sizes checked while inflating. */
export const ZIP_OPTIONS = { lazyEntries: true, autoClose: true, strictFileNames: true, validateEntrySizes: true } as const;

/** A zip to inspect, wherever it lies (a file on disk, an object read by ranges): opened afresh for each pass. */
export interface ZipSource {
  size: number;
  open(): Promise<ZipFile>;
}

/** A zip file on disk as a source. */
export async function fileSource(file: string): Promise<ZipSource> {
  return { size: (await fs.promises.stat(file)).size, open: () => openZipFile(file) };
}

/** A zip file on disk. */
export function openZipFile(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => yauzl.open(file, ZIP_OPTIONS, (err, zip) => (err ? reject(err) : resolve(zip!))));
}

/** Calls `visit` for each entry in central-directory order; `visit` resolves before the next entry is read. */
function eachEntry(zip: ZipFile, visit: (entry: Entry) => Promise<void> | void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      zip.close();
      reject(
        err instanceof AppError
          ? err
          : invalid('the zip archive is damaged, has unsafe entry names, or has an entry that is not what its directory declares.'),
      );
    };
    zip.on('entry', (entry: Entry) => {
      Promise.resolve()
        .then(() => visit(entry))
        .then(() => zip.readEntry(), fail);
    });
    zip.on('end', () => failed || resolve());
    zip.on('error', fail);
    zip.readEntry();
  });
}

const isSymlink = (entry: Entry) => ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;
const isDirectory = (entry: Entry) => entry.fileName.endsWith('/');
const depth = (name: string) => name.split('/').length;
const isAppJsonCandidate = (name: string) => /(^|\/)app\.json$/.test(name) && depth(name) <= 2;

/** A file of a package as its central directory declares it: what the change report compares between versions. */
export interface PackageEntry {
  name: string;
  crc32: number;
  size: number;
}

/**
 * Pass 1, the central directory only: entry count, names, kinds and declared sizes. Nothing is inflated yet.
 * @returns the name of the app.json to read (at the root, or in the single top folder), the files and their total
 * declared size.
 */
async function checkCentralDirectory(
  source: ZipSource,
  limits: PackageLimits,
): Promise<{ appJson: string | undefined; entries: PackageEntry[]; declared: number }> {
  const fileSize = source.size;
  let zip: ZipFile;
  try {
    zip = await source.open();
  } catch {
    throw invalid('the file is not a zip archive.');
  }
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw invalid(`it has ${zip.entryCount} entries; at most ${limits.maxEntries} are accepted.`);
  }
  const names = new Set<string>();
  const entries: PackageEntry[] = [];
  let declared = 0;
  let appJson: string | undefined;
  await eachEntry(zip, (entry) => {
    // Devices unpack onto file systems that may ignore case (iOS, Windows): two names that differ only in case,
    // or only in Unicode normalisation, would overwrite each other there.
    const key = entry.fileName.replace(/\/+$/, '').normalize('NFC').toLowerCase();
    if (names.has(key)) throw invalid(`the entry "${entry.fileName}" appears more than once.`);
    names.add(key);
    if (isSymlink(entry)) throw invalid(`the entry "${entry.fileName}" is a symbolic link; packages may hold only files and folders.`);
    if (entry.isEncrypted()) throw invalid(`the entry "${entry.fileName}" is encrypted; devices cannot read it.`);
    if (isDirectory(entry)) return;
    entries.push({ name: entry.fileName, crc32: entry.crc32, size: entry.uncompressedSize });
    declared += entry.uncompressedSize;
    if (declared > limits.maxUncompressedBytes) {
      throw invalid(`it expands to more than ${limits.maxUncompressedBytes / MiB} MiB.`);
    }
    if (
      entry.uncompressedSize > limits.ratioFloorBytes &&
      entry.uncompressedSize > limits.maxEntryRatio * Math.max(entry.compressedSize, 1)
    ) {
      throw invalid(`the entry "${entry.fileName}" is compressed more than ${limits.maxEntryRatio} to 1, as a zip bomb would be.`);
    }
    if (isAppJsonCandidate(entry.fileName) && (!appJson || depth(entry.fileName) < depth(appJson))) appJson = entry.fileName;
  });
  if (declared > limits.ratioFloorBytes && declared > limits.maxRatio * Math.max(fileSize, 1)) {
    throw invalid(`it expands to more than ${limits.maxRatio} times its size, as a zip bomb would.`);
  }
  return { appJson, entries, declared };
}

/**
 * Pass 2: inflates every entry, counting the bytes that really come out (yauzl also refuses an entry that inflates
 * to more than it declared), and keeps the bytes of app.json.
 */
async function inflateAll(source: ZipSource, appJsonName: string, limits: PackageLimits): Promise<Buffer> {
  const zip = await source.open();
  let total = 0;
  let appJson: Buffer | undefined;
  await eachEntry(zip, (entry) => {
    if (isDirectory(entry)) return;
    const keep = entry.fileName === appJsonName;
    if (keep && entry.uncompressedSize > APP_JSON_MAX) throw invalid('app.json is larger than 1 MiB.');
    return new Promise<void>((resolve, reject) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => {
          total += c.length;
          if (total > limits.maxUncompressedBytes) {
            stream.destroy();
            reject(invalid(`it expands to more than ${limits.maxUncompressedBytes / MiB} MiB.`));
          } else if (keep) chunks.push(c);
        });
        stream.on('error', reject);
        stream.on('end', () => {
          if (keep) appJson = Buffer.concat(chunks);
          resolve();
        });
      });
    });
  });
  return appJson!;
}

/** The pages listed in app.json, each checked before one of them becomes part of `mainUrl`. */
function pagesOf(parsed: unknown): string[] {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('app.json must hold a JSON object.');
  const pages = (parsed as { pages?: unknown }).pages;
  if (pages === undefined) return [];
  if (!Array.isArray(pages) || pages.some((p) => typeof p !== 'string')) {
    throw invalid('"pages" in app.json must be a list of page paths, like ["pages/index/index"].');
  }
  if (pages.length > PAGES_MAX) throw invalid(`app.json lists ${pages.length} pages; at most ${PAGES_MAX} are accepted.`);
  return (pages as string[])
    .map((p) => p.trim().replace(/^\/+/, ''))
    .filter(Boolean)
    .map((p) => {
      if (p.length > PAGE_PATH_MAX || !PAGE_PATH.test(p)) {
        const shown = JSON.stringify(p.slice(0, 80));
        throw invalid(
          `the page ${shown} in app.json is not a plain page path (segments of letters, digits, _ - and ., no "..", at most ${PAGE_PATH_MAX} characters).`,
        );
      }
      return p;
    });
}

/**
 * Checks that a file is a safe zip (yauzl also rejects absolute and `..` entry names) with an `app.json` at its
 * root (or in its single top folder), within `limits`. @returns the mini program's main URL:
 * `/index.html#<first page>`, or `/index.html` when app.json lists no pages.
 */
export async function inspectPackage(source: ZipSource, limits: PackageLimits = PACKAGE_LIMITS): Promise<{ mainUrl: string }> {
  const { mainUrl } = await inspectPackageDetails(source, limits);
  return { mainUrl };
}

/** What the inspection of an accepted package found: what its automatic checks and change report are made from. */
export interface PackageDetails {
  mainUrl: string;
  /** The files (not folders), in central-directory order. */
  entries: PackageEntry[];
  /** The sum of the files' uncompressed sizes. */
  uncompressedBytes: number;
  /** Where app.json is, and what it holds (a JSON object). */
  appJsonName: string;
  appJson: Record<string, unknown>;
  pages: string[];
}

/** `inspectPackage`, with what it found on the way. Refuses exactly what `inspectPackage` refuses. */
export async function inspectPackageDetails(source: ZipSource, limits: PackageLimits = PACKAGE_LIMITS): Promise<PackageDetails> {
  const { appJson: appJsonName, entries, declared } = await checkCentralDirectory(source, limits);
  if (!appJsonName) throw invalid('it has no app.json at its root.');
  const bytes = await inflateAll(source, appJsonName, limits);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('app.json is not valid JSON.');
  }
  const pages = pagesOf(parsed);
  const [first] = pages;
  return {
    mainUrl: first ? `/index.html#${first}` : '/index.html',
    entries,
    uncompressedBytes: declared,
    appJsonName,
    appJson: parsed as Record<string, unknown>,
    pages,
  };
}
