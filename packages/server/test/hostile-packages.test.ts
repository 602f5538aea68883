import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { makeZip, miniProgramZip, packageForm } from './helpers/packages.js';
import { appJson, crc32, deflated, writeZip, zeros } from './helpers/zip-bombs.js';

const MiB = 1024 * 1024;

/** A zip with one entry whose external attributes say "symbolic link", made by yazl (an honest writer can). */
function symlinkZip(): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(JSON.stringify({ pages: ['pages/index/index'] })), 'app.json');
  zip.addBuffer(Buffer.from('/etc/passwd'), 'pages/index/index.js', { mode: 0o120777 });
  zip.end();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Inflates every entry of a zip with yauzl: proof that a generated archive is a real, readable zip. */
async function inflatedSizes(zip: Buffer): Promise<Record<string, { size: number; crcOk: boolean }>> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-zip-')), 'z.zip');
  fs.writeFileSync(file, zip);
  const out: Record<string, { size: number; crcOk: boolean }> = {};
  await new Promise<void>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true }, (err, z) => {
      if (err || !z) return reject(err);
      z.on('entry', (entry: yauzl.Entry) =>
        z.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          let size = 0;
          let crc = 0;
          stream.on('data', (c: Buffer) => {
            size += c.length;
            crc = crc32(c, crc);
          });
          stream.on('end', () => {
            out[entry.fileName] = { size, crcOk: crc === entry.crc32 };
            z.readEntry();
          });
        }),
      );
      z.on('end', resolve);
      z.readEntry();
    }),
  );
  fs.rmSync(path.dirname(file), { recursive: true });
  return out;
}

describe('the hostile zips the tests make are real zips', () => {
  it('makes a bomb of zeros that inflates to exactly what it declares, with a correct CRC', async () => {
    const bomb = writeZip([appJson(), zeros('big.bin', 24)]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await inflatedSizes(bomb)).toEqual({ 'app.json': { size: 31, crcOk: true }, 'big.bin': { size: 24 * MiB, crcOk: true } });
  });

  it('makes overlapping entries that all inflate the same data', async () => {
    const sizes = await inflatedSizes(writeZip([zeros('first.bin', 2), appJson()], { overlap: 3 }));
    expect(Object.values(sizes).filter((s) => s.size === 2 * MiB)).toHaveLength(4);
  });
});

describe.each(dialects)('hostile packages on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  let id: string;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
    id = (await admin.post('/api/v1/mini-programs', { name: 'Hostile packages' })).json().miniProgramId;
  });
  afterAll(() => t.destroy());

  const storedFiles = () =>
    fs.readdirSync(path.join(t.dataDir, 'packages'), { recursive: true }).filter((f) => String(f).endsWith('.zip')).length;
  const upload = (zip: Buffer, fields: Record<string, string> = { version: '9.9.9.9' }) =>
    admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm(fields, zip));
  const packages = async () => (await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items;

  describe('zip bombs and unsafe archives are refused with INVALID_PACKAGE, and nothing is stored', () => {
    it.each([
      [
        '1 MiB of zip that expands to 1 GiB (the size the directory declares)',
        () => writeZip([appJson(), zeros('bomb.bin', 1024)]),
        /expands to more than 512 MiB/,
      ],
      [
        'a 16 KiB zip whose 128 entries share 8 MiB of data (overlapping entries)',
        () => writeZip([zeros('shared.bin', 8), appJson()], { overlap: 128 }),
        /expands to more than 512 MiB/,
      ],
      [
        'an entry that declares 1 KiB but inflates to 64 MiB (checked while inflating)',
        () => writeZip([appJson(), { ...zeros('liar.bin', 64), declaredSize: 1024 }]),
        /not what its directory declares/,
      ],
      ['an entry compressed 1000 to 1', () => writeZip([appJson(), zeros('dense.bin', 64)]), /compressed more than 200 to 1/],
      [
        'more than 10,000 entries',
        () =>
          writeZip([
            appJson(),
            ...Array.from({ length: 10_001 }, (_, i) => ({
              name: `f/${i}.js`,
              data: Buffer.alloc(0),
              crc: 0,
              declaredSize: 0,
              stored: true,
            })),
          ]),
        /10002 entries/,
      ],
      ['a symbolic link entry', symlinkZip, /symbolic link/],
      [
        'two entries with the same name',
        () => writeZip([appJson(), deflated('a.js', '1'), deflated('a.js', '2')]),
        /"a.js" appears more than once/,
      ],
      [
        'names that differ only in case',
        () => writeZip([appJson(), deflated('Page.js', '1'), deflated('page.js', '2')]),
        /appears more than once/,
      ],
      ['a name that escapes the folder', () => writeZip([appJson(), deflated('../evil.js', '1')]), /unsafe entry names/],
    ])('%s', async (_what, make, detail) => {
      const before = storedFiles();
      const zip = await make();
      const res = await upload(zip);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('INVALID_PACKAGE');
      expect(res.json().detail).toMatch(detail);
      expect(storedFiles()).toBe(before);
      expect(await packages()).toEqual([]);
    });

    it('accepts an honest package that compresses well (a 4 MiB page of spaces) and one of 500 files', async () => {
      const spaces = await makeZip({ 'app.json': '{"pages":["pages/index/index"]}', 'index.html': ' '.repeat(4 * MiB) });
      expect((await upload(spaces, { version: '0.0.0.1' })).statusCode).toBe(201);
      const many = await makeZip({
        'app.json': '{"pages":["pages/index/index"]}',
        ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`pages/p${i}/index.js`, `Page(${i})`])),
      });
      expect((await upload(many, { version: '0.0.0.2' })).statusCode).toBe(201);
    });
  });

  describe('page paths in app.json are checked before one becomes mainUrl', () => {
    it.each([
      ['a parent folder', '../../../etc/passwd'],
      ['a parent folder inside', 'pages/../../secret'],
      ['markup', 'pages/<script>alert(1)</script>'],
      ['a quote', 'pages/index" onload="x'],
      ['a URL', 'javascript:alert(1)'],
      ['a query', 'pages/index?x=1'],
      ['a fragment', 'pages/index#top'],
      ['a space', 'pages/my page'],
      ['a hidden segment', 'pages/.git/config'],
      ['an over-long path', `pages/${'a'.repeat(300)}`],
    ])('refuses %s', async (_what, page) => {
      const res = await upload(await makeZip({ 'app.json': JSON.stringify({ pages: ['pages/index/index', page] }) }));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('INVALID_PACKAGE');
      expect(res.json().detail).toMatch(/is not a plain page path/);
    });

    it('accepts plain paths, a leading slash and non-Latin letters', async () => {
      const res = await upload(await makeZip({ 'app.json': JSON.stringify({ pages: ['/pages/首页/index', 'pages/a-b_c.v2/x'] }) }), {
        version: '0.0.1.0',
      });
      expect(res.statusCode).toBe(201);
      expect(res.json().mainUrl).toBe('/index.html#pages/首页/index');
    });
  });

  describe('versions', () => {
    it('refuses clientVersionMin above clientVersionMax, naming clientVersionMin', async () => {
      const res = await upload(await miniProgramZip(), { version: '5.0.0.1', clientVersionMin: '10.2', clientVersionMax: '9.9.9' });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(res.json().errors[0].path).toBe('clientVersionMin');
      expect((await packages()).some((p: { version: string }) => p.version === '5.0.0.1')).toBe(false);
    });

    it('accepts an equal minimum and maximum', async () => {
      const res = await upload(await miniProgramZip(), { version: '5.0.0.2', clientVersionMin: '10.2', clientVersionMax: '10.2.0' });
      expect(res.statusCode).toBe(201);
    });

    it('treats 1.0.0.01 as 1.0.0.1: stored in one spelling, a second spelling is VERSION_EXISTS', async () => {
      const first = await upload(await miniProgramZip(), { version: '6.0.0.01' });
      expect(first.statusCode).toBe(201);
      expect(first.json().version).toBe('6.0.0.1');
      const second = await upload(await miniProgramZip('pages/other/other'), { version: '6.0.0.1' });
      expect(second.statusCode).toBe(409);
      expect(second.json().code).toBe('VERSION_EXISTS');
      const third = await upload(await miniProgramZip('pages/other/other'), { version: '006.00.0.001' });
      expect(third.statusCode).toBe(409);
      const release = await admin.post(`/api/v1/mini-programs/${id}/packages/6.0.0.001/release`);
      expect(release.statusCode).toBe(200);
      expect(release.json()).toMatchObject({ version: '6.0.0.1', state: 'complete' });
      expect((await packages()).find((p: { version: string }) => p.version === '6.0.0.1').status).toBe('released');
    });
  });
});
