import { randomBytes } from 'node:crypto';
import yazl from 'yazl';
import type { Client } from './app.js';

/** Ends a zip and collects its bytes. */
function written(zip: yazl.ZipFile): Promise<Buffer> {
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/**
 * A valid package that does not compress: `bytes` random bytes stored as they are, so its size on disk and on the
 * wire is real (downloads, slow uploads).
 */
export function incompressibleZip(bytes: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('{"pages":["pages/index/index"]}'), 'app.json');
  zip.addBuffer(randomBytes(bytes), 'assets/blob.bin', { compress: false });
  return written(zip);
}

/** A real zip made in the test. */
export function makeZip(files: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name);
  return written(zip);
}

export const miniProgramZip = (page = 'pages/index/index', extra: Record<string, string> = {}) =>
  makeZip({
    'app.json': JSON.stringify({ pages: [page, 'pages/about/about'] }),
    'index.html': '<!doctype html><p>mini</p>',
    'app.js': 'App({});',
    ...extra,
  });

export function packageForm(fields: Record<string, string>, zip?: Buffer, fileName = 'mini.zip'): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (zip) form.append('package', new Blob([new Uint8Array(zip)]), fileName);
  return form;
}

/** Registers a mini program, uploads a version and releases it. */
export async function releasedMiniProgram(admin: Client, name: string, version = '1.0.0.1', fields: Record<string, string> = {}) {
  const mp = (await admin.post('/api/v1/mini-programs', { name })).json();
  const zip = await miniProgramZip();
  const up = await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages`, packageForm({ version, ...fields }, zip));
  if (up.statusCode !== 201) throw new Error(`upload failed: ${up.body}`);
  const rel = await admin.post(`/api/v1/mini-programs/${mp.miniProgramId}/packages/${version}/release`);
  if (rel.statusCode !== 200) throw new Error(`release failed: ${rel.body}`);
  return { id: mp.miniProgramId as string, zip };
}
