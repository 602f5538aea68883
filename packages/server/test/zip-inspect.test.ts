import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource, inspectPackage } from '../src/modules/mini-programs/zip-inspect.js';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { makeZip, packageForm } from './helpers/packages.js';

const appJson = (...pages: string[]) => JSON.stringify({ pages });

describe('the package check (zip-inspect)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-zip-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const inspect = async (files: Record<string, string | Buffer>) => {
    const file = path.join(dir, `${n++}.zip`);
    fs.writeFileSync(file, await makeZip(files));
    return inspectPackage(await fileSource(file));
  };
  const refusal = async (files: Record<string, string | Buffer>) => {
    const err = await inspect(files).then(
      () => undefined,
      (e: { code?: string; detail?: string }) => e,
    );
    expect(err).toMatchObject({ code: 'INVALID_PACKAGE' });
    return err!.detail!;
  };

  it('takes the app.json at the root and opens its first page', async () => {
    expect(await inspect({ 'app.json': appJson('pages/home/home', 'pages/about/about'), 'index.html': '<p>' })).toEqual({
      mainUrl: '/index.html#pages/home/home',
    });
  });

  it('takes the app.json of a package in a single top folder (a zipped folder), with the same main URL', async () => {
    expect(await inspect({ 'mini/app.json': appJson('pages/shop/shop'), 'mini/index.html': '<p>' })).toEqual({
      mainUrl: '/index.html#pages/shop/shop',
    });
  });

  it('refuses an app.json two folders deep as missing', async () => {
    expect(await refusal({ 'a/b/app.json': appJson('pages/deep/deep'), 'a/b/index.html': '<p>' })).toMatch(/no app\.json at its root/);
  });

  it('refuses an app.json deep in a package with a top folder', async () => {
    expect(await refusal({ 'mini/index.html': '<p>', 'mini/sub/app.json': appJson('pages/x') })).toMatch(/no app\.json/);
  });

  it('prefers the root app.json over one in a folder, whatever their order in the zip', async () => {
    expect(await inspect({ 'sub/app.json': appJson('pages/sub'), 'app.json': appJson('pages/root') })).toEqual({
      mainUrl: '/index.html#pages/root',
    });
    expect(await inspect({ 'app.json': appJson('pages/root'), 'sub/app.json': appJson('pages/sub') })).toEqual({
      mainUrl: '/index.html#pages/root',
    });
  });

  it('ignores a too-deep app.json next to the right one', async () => {
    expect(await inspect({ 'a/b/app.json': appJson('pages/deep'), 'mini/app.json': appJson('pages/top') })).toEqual({
      mainUrl: '/index.html#pages/top',
    });
  });

  it('does not take a file that only ends in app.json', async () => {
    expect(await refusal({ 'myapp.json': appJson('pages/x'), 'mini/notapp.json': appJson('pages/y') })).toMatch(/no app\.json/);
  });

  it.each([
    ['../', 'climbs out of the package'],
    ['/tm', 'is absolute'],
    ['a\\a', 'has a backslash (a folder separator to some unzip tools)'],
  ])('refuses a zip with an entry name that %s (%s)', async (prefix) => {
    // yazl will not write such names: write a harmless one of the same length and change it in place.
    const zip = await makeZip({ 'app.json': appJson('pages/x'), 'aaaevil.sh': 'rm -rf /' });
    const file = path.join(dir, `unsafe-${n++}.zip`);
    fs.writeFileSync(file, Buffer.from(zip.toString('latin1').replaceAll('aaaevil.sh', `${prefix}evil.sh`), 'latin1'));
    await expect(inspectPackage(await fileSource(file))).rejects.toMatchObject({
      code: 'INVALID_PACKAGE',
      detail: expect.stringMatching(/unsafe entry names/),
    });
  });

  it.each([
    [appJson('/pages/lead/lead'), '/index.html#pages/lead/lead'],
    [appJson('  pages/space/space  '), '/index.html#pages/space/space'],
    [appJson('', '  ', 'pages/second/second'), '/index.html#pages/second/second'],
    [appJson(), '/index.html'],
    ['{"window":{}}', '/index.html'],
  ])('turns the app.json %s into the main URL %s', async (json, mainUrl) => {
    expect(await inspect({ 'app.json': json })).toEqual({ mainUrl });
  });

  it.each([
    ['not a zip', () => Buffer.from('plain text'), /not a zip/],
    ['pages that are not a list', () => '{"pages":"index"}', /must be a list of page paths/],
    ['a page that is not a path', () => '{"pages":["a", 1]}', /must be a list of page paths/],
    ['a list instead of an object', () => '["pages/index"]', /JSON object/],
    ['null', () => 'null', /JSON object/],
    ['not JSON', () => '{pages', /not valid JSON/],
    ['over 1 MiB', () => `{"pages":[],"pad":"${'x'.repeat(1024 * 1024)}"}`, /larger than 1 MiB/],
  ])('refuses an app.json that is %s', async (_label, content, detail) => {
    const files = _label === 'not a zip' ? undefined : { 'app.json': content() };
    if (!files) {
      const file = path.join(dir, 'plain.zip');
      fs.writeFileSync(file, content());
      await expect(inspectPackage(await fileSource(file))).rejects.toMatchObject({
        code: 'INVALID_PACKAGE',
        detail: expect.stringMatching(detail),
      });
      return;
    }
    expect(await refusal(files)).toMatch(detail);
  });
});

describe.each(dialects)('POST /api/v1/mini-programs/:id/packages on %s: where app.json may be', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let id: string;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
    id = (await admin.post('/api/v1/mini-programs', { name: 'Nested' })).json().miniProgramId;
  });
  afterAll(() => t.destroy());

  it('serves the main URL of a package zipped with its top folder', async () => {
    const zip = await makeZip({ 'mini/app.json': appJson('pages/cart/cart'), 'mini/index.html': '<p>' });
    const res = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.1' }, zip));
    expect(res.statusCode).toBe(201);
    expect(res.json().mainUrl).toBe('/index.html#pages/cart/cart');
  });

  it('refuses a package whose app.json is two folders deep, and stores nothing', async () => {
    const zip = await makeZip({ 'a/b/app.json': appJson('pages/deep/deep') });
    const res = await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.2' }, zip));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_PACKAGE' });
    expect((await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items.map((p: { version: string }) => p.version)).toEqual([
      '1.0.0.1',
    ]);
  });
});
