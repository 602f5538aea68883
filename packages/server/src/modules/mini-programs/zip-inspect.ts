import type { Entry, ZipFile } from 'yauzl';
import { AppError } from '../../lib/app-error.js';

const invalid = (why: string) => new AppError('INVALID_PACKAGE', `The package is not a valid mini program: ${why}`);
const APP_JSON_MAX = 1024 * 1024;

function readEntry(zip: ZipFile, entry: Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (entry.uncompressedSize > APP_JSON_MAX) return reject(invalid('app.json is larger than 1 MiB.'));
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/**
 * Checks that a file (opened by `open`, from disk or an object store) is a zip (yauzl also rejects absolute and `..` entry names) with an `app.json` at its root
 * (or in its single top folder). @returns the mini program's main URL: `/index.html#<first page>`, or `/index.html`
 * when app.json lists no pages.
 */
export async function inspectPackage(open: () => Promise<ZipFile>): Promise<{ mainUrl: string }> {
  let zip: ZipFile;
  try {
    zip = await open();
  } catch {
    throw invalid('the file is not a zip archive.');
  }
  const appJson = await new Promise<Entry | undefined>((resolve, reject) => {
    let found: Entry | undefined;
    zip.on('entry', (entry: Entry) => {
      const depth = entry.fileName.split('/').length;
      if (/(^|\/)app\.json$/.test(entry.fileName) && depth <= 2 && (!found || depth < found.fileName.split('/').length)) found = entry;
      zip.readEntry();
    });
    zip.on('end', () => resolve(found));
    zip.on('error', () => reject(invalid('the zip archive is damaged or has unsafe entry names.')));
    zip.readEntry();
  });
  if (!appJson) {
    zip.close();
    throw invalid('it has no app.json at its root.');
  }
  const reopened = await open();
  const entry = await new Promise<Entry>((resolve, reject) => {
    reopened.on('entry', (e: Entry) => (e.fileName === appJson.fileName ? resolve(e) : reopened.readEntry()));
    reopened.on('error', reject);
    reopened.readEntry();
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readEntry(reopened, entry)).toString('utf8'));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw invalid('app.json is not valid JSON.');
  } finally {
    reopened.close();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('app.json must hold a JSON object.');
  const pages = (parsed as { pages?: unknown }).pages;
  if (pages !== undefined && (!Array.isArray(pages) || pages.some((p) => typeof p !== 'string'))) {
    throw invalid('"pages" in app.json must be a list of page paths, like ["pages/index/index"].');
  }
  // The first page is the entry; a package whose app.json lists none opens at its index.html.
  const first = (pages as string[] | undefined)?.find((p) => p.trim());
  return { mainUrl: first ? `/index.html#${first.trim().replace(/^\/+/, '')}` : '/index.html' };
}
