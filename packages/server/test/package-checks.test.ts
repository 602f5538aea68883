import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesSince, type PackageManifest } from '../src/modules/mini-programs/package-checks.js';
import { Client, dialects, startApp, type TestApp } from './helpers/app.js';
import { upload } from './helpers/open-platform.js';
import { makeZip } from './helpers/packages.js';
import { appJson, deflated, writeZip, zeros } from './helpers/zip-bombs.js';

type Check = { name: string; outcome: string; detail: string };
const appJsonText = (extra: Record<string, unknown> = {}) => JSON.stringify({ pages: ['pages/index/index'], ...extra });

describe.each(dialects)('automatic checks of a package, on %s', (dialect) => {
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    t = await startApp(dialect);
    admin = await Client.signIn(t.app);
  });
  afterAll(() => t.destroy());

  const miniProgram = async () =>
    (await admin.post('/api/v1/mini-programs', { name: `Checks ${Math.random()}` })).json().miniProgramId as string;
  const checks = (res: { json: () => { review: { checks: Check[] } } }) =>
    Object.fromEntries(res.json().review.checks.map((c) => [c.name, c]));
  const versions = async (id: string) => (await admin.get(`/api/v1/mini-programs/${id}/packages`)).json().items;

  it.each([
    ['a zip bomb', () => writeZip([appJson(), zeros('big.bin', 24)]), /zip bomb/],
    ['an entry that climbs out of the package', () => writeZip([appJson(), deflated('../evil.js', '1')]), /unsafe entry names/],
    ['a package without app.json', () => writeZip([deflated('index.html', '<p>')]), /no app\.json/],
  ])('still refuses %s outright (400 INVALID_PACKAGE), leaving no version and no review', async (_, zip, detail) => {
    const id = await miniProgram();
    const res = await upload(admin, id, '1.0.0.0', zip());
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_PACKAGE');
    expect(res.json().detail).toMatch(detail);
    expect(await versions(id)).toEqual([]);
    expect((await admin.get(`/api/v1/reviews?miniProgramId=${id}`)).json().total).toBe(0);
  });

  it('passes a clean package on every rule, and keeps the checks with the version', async () => {
    const id = await miniProgram();
    const res = await upload(admin, id, '1.0.0.0', await makeZip({ 'app.json': appJsonText(), 'index.html': '<p>' }));
    expect(res.statusCode).toBe(201);
    const c = checks(res);
    for (const name of ['size', 'entries', 'compression', 'paths', 'app-json', 'permissions', 'domains'])
      expect(c[name].outcome, name).toBe('pass');
    expect(c.entries.detail).toBe('2 files.');
    expect((await versions(id))[0].review.checks).toEqual(res.json().review.checks);
  });

  it('reads declared permissions and domains: sensitive ones warn, unknown or cleartext ones fail', async () => {
    const id = await miniProgram();
    const ok = await upload(
      admin,
      id,
      '1.0.0.0',
      await makeZip({
        'app.json': appJsonText({ permissions: ['location', 'clipboard'], domains: ['https://API.example.com', 'cdn.example.com'] }),
      }),
    );
    expect(checks(ok).permissions).toMatchObject({ outcome: 'warn', detail: expect.stringMatching(/location reach personal data/) });
    expect(checks(ok).domains).toMatchObject({ outcome: 'pass', detail: 'app.json declares api.example.com, cdn.example.com.' });

    const bad = await upload(
      admin,
      id,
      '1.0.0.1',
      await makeZip({ 'app.json': appJsonText({ permissions: ['camera', 'telepathy'], domains: ['http://api.example.com', '10.0.0.1'] }) }),
    );
    expect(checks(bad).permissions).toMatchObject({ outcome: 'fail', detail: expect.stringMatching(/unknown permissions: telepathy/) });
    expect(checks(bad).domains).toMatchObject({
      outcome: 'fail',
      detail: expect.stringMatching(/"http:\/\/api.example.com" is plain HTTP/),
    });
    expect(checks(bad).domains.detail).toMatch(/"10.0.0.1" is not a host name/);

    const wrongShape = await upload(admin, id, '1.0.0.2', await makeZip({ 'app.json': appJsonText({ permissions: 'camera' }) }));
    expect(checks(wrongShape).permissions).toMatchObject({ outcome: 'fail', detail: expect.stringMatching(/must be a list of strings/) });
  });

  it('warns about files left in by accident and an app.json without pages', async () => {
    const id = await miniProgram();
    const res = await upload(admin, id, '1.0.0.0', await makeZip({ 'app.json': '{}', '__MACOSX/._app.json': 'x', 'index.html': '<p>' }));
    expect(checks(res).paths).toMatchObject({ outcome: 'warn', detail: expect.stringMatching(/__MACOSX/) });
    expect(checks(res)['app-json'].outcome).toBe('warn');
  });

  it('reports the change since the version released last: files, size, permissions and domains added', async () => {
    const id = await miniProgram();
    const first = await upload(
      admin,
      id,
      '1.0.0.0',
      await makeZip({
        'app.json': appJsonText({ permissions: ['camera'] }),
        'index.html': '<p>one',
        'old.js': 'gone soon',
        'same.js': 'kept',
      }),
    );
    expect(first.json().review.changes).toEqual({
      fromVersion: null,
      filesAdded: [],
      filesRemoved: [],
      filesChanged: [],
      sizeDelta: 0,
      permissionsAdded: [],
      domainsAdded: [],
    });
    expect((await admin.post(`/api/v1/mini-programs/${id}/packages/1.0.0.0/release`)).statusCode).toBe(200);
    // An unreleased version in between is not what the change is measured against.
    await upload(admin, id, '1.0.0.1', await makeZip({ 'app.json': appJsonText(), 'other.js': 'x' }));
    const zip = await makeZip({
      'app.json': appJsonText({ permissions: ['camera', 'microphone'], domains: ['api.example.com'] }),
      'index.html': '<p>two',
      'same.js': 'kept',
      'new.js': 'hello',
    });
    const second = await upload(admin, id, '1.0.0.2', zip);
    expect(second.json().review.changes).toEqual({
      fromVersion: '1.0.0.0',
      filesAdded: ['new.js'],
      filesRemoved: ['old.js'],
      filesChanged: ['app.json', 'index.html'],
      sizeDelta: second.json().size - first.json().size,
      permissionsAdded: ['microphone'],
      domainsAdded: ['api.example.com'],
    });
  });
});

describe('changesSince', () => {
  const manifest = (entries: PackageManifest['entries'], size = 100): PackageManifest => ({ size, entries, permissions: [], domains: [] });
  it('compares by CRC and size, so a file with the same size but other bytes counts as changed', () => {
    const before = manifest({ 'a.js': [1, 10], 'b.js': [2, 10] }, 100);
    const after = manifest({ 'a.js': [1, 10], 'b.js': [3, 10] }, 90);
    expect(changesSince({ version: '1.0.0.0', size: 100, manifest: before }, after)).toMatchObject({
      filesChanged: ['b.js'],
      filesAdded: [],
      sizeDelta: -10,
    });
  });
  it('knows only the size delta against a version uploaded before change reports existed', () => {
    expect(changesSince({ version: '0.9.0.0', size: 50, manifest: null }, manifest({ 'a.js': [1, 1] }, 80))).toEqual({
      fromVersion: '0.9.0.0',
      filesAdded: [],
      filesRemoved: [],
      filesChanged: [],
      sizeDelta: 30,
      permissionsAdded: [],
      domainsAdded: [],
    });
  });
});
