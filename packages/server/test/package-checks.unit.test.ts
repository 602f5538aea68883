import type { Check } from '@mpop/contracts';
import { describe, expect, it } from 'vitest';
import { changesSince, KNOWN_PERMISSIONS, runChecks } from '../src/modules/mini-programs/package-checks.js';
import { PACKAGE_LIMITS, type PackageDetails, type PackageLimits } from '../src/modules/mini-programs/zip-inspect.js';

/**
 * The automatic checks of a package at their limits, without a zip (package-checks.test.ts uploads real packages):
 * each warning starts just past its threshold, and each rule of the declared permissions and domains has its case.
 */

const MiB = 1024 * 1024;
const LIMITS: PackageLimits = {
  ...PACKAGE_LIMITS,
  maxEntries: 100,
  maxUncompressedBytes: 1000 * MiB,
  maxRatio: 100,
  ratioFloorBytes: 8 * MiB,
};
const MAX_ZIP = 100 * MiB;

function details(over: Partial<PackageDetails> = {}): PackageDetails {
  return {
    mainUrl: '/pages/index/index.html',
    entries: [
      { name: 'app.json', crc32: 1, size: 10 },
      { name: 'pages/index/index.html', crc32: 2, size: 20 },
    ],
    uncompressedBytes: 30,
    appJsonName: 'app.json',
    appJson: {},
    pages: ['pages/index/index'],
    ...over,
  };
}

const run = (d: Partial<PackageDetails> = {}, zipBytes = 1000) => {
  const { checks, manifest } = runChecks(details(d), zipBytes, MAX_ZIP, LIMITS);
  return { c: Object.fromEntries(checks.map((x) => [x.name, x])) as Record<string, Check>, manifest, names: checks.map((x) => x.name) };
};
const declaring = (appJson: Record<string, unknown>) => run({ appJson });

describe('runChecks', () => {
  it('passes a plain package on every rule, in a fixed order, with the details a reviewer reads', () => {
    const { c, names, manifest } = run({}, 2 * MiB);
    expect(names).toEqual(['size', 'entries', 'compression', 'paths', 'app-json', 'permissions', 'domains']);
    expect(c.size).toEqual({ name: 'size', outcome: 'pass', detail: 'The package is 2.0 MiB and expands to 0.0 MiB.' });
    expect(c.entries).toEqual({ name: 'entries', outcome: 'pass', detail: '2 files.' });
    expect(c.compression).toEqual({ name: 'compression', outcome: 'pass', detail: 'It expands 0.0 times.' });
    expect(c.paths).toEqual({ name: 'paths', outcome: 'pass', detail: 'Every path is a plain relative path.' });
    expect(c['app-json']).toEqual({
      name: 'app-json',
      outcome: 'pass',
      detail: 'app.json lists 1 page(s); it opens at /pages/index/index.html.',
    });
    expect(c.permissions).toEqual({ name: 'permissions', outcome: 'pass', detail: 'app.json declares no permissions.' });
    expect(c.domains).toEqual({ name: 'domains', outcome: 'pass', detail: 'app.json declares no domains.' });
    expect(manifest).toEqual({
      size: 2 * MiB,
      entries: { 'app.json': [1, 10], 'pages/index/index.html': [2, 20] },
      permissions: [],
      domains: [],
    });
  });

  it('warns on size just past 80 % of the zip limit or of the expanded limit, not at it', () => {
    expect(run({}, 80 * MiB).c.size.outcome).toBe('pass');
    expect(run({}, 80 * MiB + 1).c.size).toEqual({
      name: 'size',
      outcome: 'warn',
      detail: 'The package is 80.0 MiB (limit 100.0 MiB) and expands to 0.0 MiB; it is close to the limits.',
    });
    expect(run({ uncompressedBytes: 800 * MiB }).c.size.outcome).toBe('pass');
    expect(run({ uncompressedBytes: 800 * MiB + 1 }).c.size.outcome).toBe('warn');
  });

  it('warns on entries just past 80 % of the limit', () => {
    const files = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, crc32: i, size: 1 }));
    expect(run({ entries: files(80) }).c.entries.outcome).toBe('pass');
    expect(run({ entries: files(81) }).c.entries).toEqual({
      name: 'entries',
      outcome: 'warn',
      detail: '81 files, close to the limit of 100.',
    });
  });

  it('warns on compression above half the refused ratio, only once the package expands past the floor', () => {
    const big = 8 * MiB + 1;
    expect(run({ uncompressedBytes: big }, Math.ceil(big / 50)).c.compression.outcome).toBe('pass');
    expect(run({ uncompressedBytes: 51 * MiB }, MiB).c.compression).toEqual({
      name: 'compression',
      outcome: 'warn',
      detail: 'It expands 51.0 times; more than 100 is refused as a zip bomb.',
    });
    expect(run({ uncompressedBytes: 50 * MiB }, MiB).c.compression.outcome).toBe('pass');
    // At the floor, however well it compresses.
    expect(run({ uncompressedBytes: 8 * MiB }, 1).c.compression.outcome).toBe('pass');
    expect(run({ uncompressedBytes: big }, 1).c.compression.outcome).toBe('warn');
    // An empty zip size counts as one byte.
    expect(run({ uncompressedBytes: 9 * MiB }, 0).c.compression.detail).toBe(
      `It expands ${(9 * MiB).toFixed(1)} times; more than 100 is refused as a zip bomb.`,
    );
  });

  it('warns about stray names anywhere in a path, listing five at most', () => {
    for (const name of ['__MACOSX/x', 'a/.DS_Store', '.git/config', 'src/.svn/entries', '.idea', 'b/.vscode/settings.json', 'Thumbs.db']) {
      expect(run({ entries: [{ name, crc32: 0, size: 1 }] }).c.paths.outcome, name).toBe('warn');
    }
    for (const name of ['my.gitignore', 'a/.github/x', 'x__MACOSX', 'Thumbs.dbx', '.gitkeep']) {
      expect(run({ entries: [{ name, crc32: 0, size: 1 }] }).c.paths.outcome, name).toBe('pass');
    }
    const stray = Array.from({ length: 6 }, (_, i) => ({ name: `d${i}/.DS_Store`, crc32: 0, size: 1 }));
    expect(run({ entries: stray }).c.paths.detail).toBe(
      'Files that look left in by accident: d0/.DS_Store, d1/.DS_Store, d2/.DS_Store, d3/.DS_Store, d4/.DS_Store, ….',
    );
    expect(run({ entries: stray.slice(0, 5) }).c.paths.detail).toBe(
      'Files that look left in by accident: d0/.DS_Store, d1/.DS_Store, d2/.DS_Store, d3/.DS_Store, d4/.DS_Store.',
    );
  });

  it('warns about an app.json without pages', () => {
    expect(run({ pages: [], appJsonName: 'dist/app.json' }).c['app-json']).toEqual({
      name: 'app-json',
      outcome: 'warn',
      detail: 'dist/app.json lists no pages; the mini program opens at /index.html.',
    });
  });

  it('reads permissions: trimmed, deduplicated, sorted; sensitive ones warn, unknown ones fail', () => {
    const ok = declaring({ permissions: [' storage', 'clipboard', 'storage ', ''] });
    expect(ok.c.permissions).toEqual({ name: 'permissions', outcome: 'pass', detail: 'app.json declares clipboard, storage.' });
    expect(ok.manifest.permissions).toEqual(['clipboard', 'storage']);
    for (const p of ['camera', 'contacts', 'location', 'microphone', 'photos', 'phone']) {
      expect(declaring({ permissions: [p, 'storage'] }).c.permissions, p).toEqual({
        name: 'permissions',
        outcome: 'warn',
        detail: `app.json declares ${[p, 'storage'].sort().join(', ')}; ${p} reach personal data or sensors.`,
      });
    }
    expect(declaring({ permissions: ['camera', 'location'] }).c.permissions.detail).toBe(
      'app.json declares camera, location; camera, location reach personal data or sensors.',
    );
    for (const p of KNOWN_PERMISSIONS.filter((k) => !['camera', 'contacts', 'location', 'microphone', 'photos', 'phone'].includes(k))) {
      expect(declaring({ permissions: [p] }).c.permissions.outcome, p).toBe('pass');
    }
    const unknown = declaring({ permissions: ['camera', ...Array.from({ length: 11 }, (_, i) => `x${i.toString().padStart(2, '0')}`)] });
    expect(unknown.c.permissions).toEqual({
      name: 'permissions',
      outcome: 'fail',
      detail: `app.json declares unknown permissions: x00, x01, x02, x03, x04, x05, x06, x07, x08, x09. Use only ${KNOWN_PERMISSIONS.join(', ')}.`,
    });
    expect(unknown.manifest.permissions).toHaveLength(12);
  });

  it('fails a permissions or domains field that is not a list of at most 100 strings', () => {
    for (const field of ['permissions', 'domains']) {
      for (const value of ['camera', [1], ['a', null], { 0: 'a' }]) {
        const r = declaring({ [field]: value });
        expect(r.c[field], JSON.stringify(value)).toEqual({
          name: field,
          outcome: 'fail',
          detail: `"${field}" in app.json must be a list of strings, like ["camera"].`,
        });
        expect(r.manifest[field as 'permissions' | 'domains']).toEqual([]);
      }
      const many = (n: number) => Array.from({ length: n }, () => (field === 'domains' ? 'a.example.com' : 'storage'));
      expect(declaring({ [field]: many(100) }).c[field].outcome).toBe('pass');
      expect(declaring({ [field]: many(101) }).c[field]).toEqual({
        name: field,
        outcome: 'fail',
        detail: `app.json declares 101 ${field}; at most 100 are accepted.`,
      });
    }
  });

  it('reads domains as host names: https:// and a trailing slash dropped, lower-cased, deduplicated, sorted', () => {
    const r = declaring({ domains: ['HTTPS://Cdn.Example.com/', 'api.example.com', 'https://api.example.com'] });
    expect(r.c.domains).toEqual({ name: 'domains', outcome: 'pass', detail: 'app.json declares api.example.com, cdn.example.com.' });
    expect(r.manifest.domains).toEqual(['api.example.com', 'cdn.example.com']);
  });

  it('fails plain HTTP and what is not a host name (in the sorted order), listing five problems at most and keeping the good domains', () => {
    const r = declaring({ domains: ['HTTP://a.example.com', 'ok.example.com', '10.0.0.1'] });
    expect(r.c.domains).toEqual({
      name: 'domains',
      outcome: 'fail',
      detail:
        'In app.json "domains": "10.0.0.1" is not a host name (like api.example.com); "HTTP://a.example.com" is plain HTTP; mini programs may only reach https:// domains.',
    });
    expect(r.manifest.domains).toEqual(['ok.example.com']);
    const bad = Array.from({ length: 6 }, (_, i) => `http://h${i}.example.com`);
    expect(declaring({ domains: bad }).c.domains.detail.match(/plain HTTP/g)).toHaveLength(5);
    const long = `http://${'a'.repeat(100)}.example.com`;
    expect(declaring({ domains: [long] }).c.domains.detail).toContain(`"${long.slice(0, 80)}" is plain HTTP`);
    expect(declaring({ domains: ['https://a.example.com/path'] }).c.domains.outcome).toBe('fail');
    // Only a leading https:// is dropped.
    expect(declaring({ domains: ['a.example.comhttps://'] }).c.domains.outcome).toBe('fail');
    const longName = `${'a_'.repeat(60)}.example.com`;
    expect(declaring({ domains: [longName] }).c.domains.detail).toBe(
      `In app.json "domains": "${longName.slice(0, 80)}" is not a host name (like api.example.com).`,
    );
  });
});

describe('changesSince, against a version without a manifest', () => {
  it('knows only the size delta', () => {
    const now = {
      size: 90,
      entries: { a: [1, 1] } as Record<string, [number, number]>,
      permissions: ['camera'],
      domains: ['a.example.com'],
    };
    expect(changesSince({ version: '0.9.0.0', size: 100, manifest: null }, now)).toEqual({
      fromVersion: '0.9.0.0',
      filesAdded: [],
      filesRemoved: [],
      filesChanged: [],
      sizeDelta: -10,
      permissionsAdded: [],
      domainsAdded: [],
    });
  });
});

describe('changesSince, the first version', () => {
  it('has nothing to compare with', () => {
    expect(changesSince(undefined, { size: 5, entries: { a: [1, 1] }, permissions: ['camera'], domains: ['a.example.com'] })).toEqual({
      fromVersion: null,
      filesAdded: [],
      filesRemoved: [],
      filesChanged: [],
      sizeDelta: 0,
      permissionsAdded: [],
      domainsAdded: [],
    });
  });

  it('lists files added, removed and changed (by CRC or by size) sorted, and only the permissions and domains added', () => {
    const before = {
      size: 100,
      entries: { b: [1, 1], a: [2, 2], gone: [3, 3], away: [5, 5], same: [4, 4] } as Record<string, [number, number]>,
      permissions: ['camera'],
      domains: ['a.example.com'],
    };
    const now = {
      size: 90,
      entries: { z: [0, 0], y: [0, 0], b: [1, 9], a: [9, 2], same: [4, 4] } as Record<string, [number, number]>,
      permissions: ['camera', 'photos'],
      domains: ['a.example.com', 'b.example.com'],
    };
    expect(changesSince({ version: '1.0.0.0', size: 100, manifest: before }, now)).toEqual({
      fromVersion: '1.0.0.0',
      filesAdded: ['y', 'z'],
      filesRemoved: ['away', 'gone'],
      filesChanged: ['a', 'b'],
      sizeDelta: -10,
      permissionsAdded: ['photos'],
      domainsAdded: ['b.example.com'],
    });
  });
});
