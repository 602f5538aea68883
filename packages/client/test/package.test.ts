import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedKey } from '../../server/test/helpers/keys.js';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `@mpop/client` as a host app team gets it: packed with `npm pack`, installed from the tarball into a project of
 * its own (no workspace, no registry), and imported the way docs/host-app-teams.md shows, config file included.
 */
describe('the @mpop/client package (npm pack)', () => {
  let work: string;
  let files: string[];
  let tarball: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-client-pack-'));
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
        cwd: clientDir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    files = packed.files.map((f: { path: string }) => f.path);
    tarball = path.join(work, packed.filename);
  }, 120_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('is publishable: not private, with its entry points, types and README, and no sources, maps or build stamps', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(clientDir, 'package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    // What it imports at run time is a dependency, not a devDependency: fossil-delta applies patches.
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['fossil-delta']);
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts']),
    );
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.map') || f.includes('build-stamp'))).toEqual(
      [],
    );
  });

  it('installs from the tarball and runs the documented import of the config file in Node ESM', () => {
    const app = path.join(work, 'host-app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'host-app', private: true, type: 'module' }));
    // Its dependency (fossil-delta, which applies patches) comes packed from the workspace's copy, as the registry
    // would hand it: the install stays offline.
    const [dependency] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
        cwd: path.dirname(createRequire(import.meta.url).resolve('fossil-delta/package.json')),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', path.join(work, dependency.filename), tarball], {
      cwd: app,
      stdio: 'ignore',
    });
    const config = {
      appId: '09FEF59478AB4',
      workspaceId: 'default',
      tenantId: 'ABCDEFGH',
      name: 'Demo',
      gatewayUrl: 'https://mpop.example.com/client/v1',
      virtualDomain: 'demo.example.com',
      publicKeys: [{ fingerprintSha256: 'f'.repeat(64), pem: sharedKey().publicPem }],
    };
    fs.writeFileSync(path.join(app, 'mpop-09FEF59478AB4.json'), JSON.stringify(config));
    // As docs/host-app-teams.md writes it: the import attribute is what Node's ESM loader needs for JSON.
    fs.writeFileSync(
      path.join(app, 'main.js'),
      [
        "import { MpopClient, MpopError } from '@mpop/client';",
        "import { DirectoryCache } from '@mpop/client/node';",
        "import config from './mpop-09FEF59478AB4.json' with { type: 'json' };",
        "const client = new MpopClient({ config, deviceId: 'device-1', platform: 'android', clientVersion: '10.2.3', cache: new DirectoryCache('./cache') });",
        'let code;',
        "try { new MpopClient({ config, deviceId: 'not a device id!', platform: 'android', clientVersion: '1' }); } catch (err) { code = err instanceof MpopError && err.code; }",
        "console.log(JSON.stringify({ made: typeof client.resources === 'function', badDevice: code }));",
      ].join('\n'),
    );
    const out = execFileSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8' });
    // A wrong deviceId is the caller's option, not the config file: INVALID_OPTIONS, not INVALID_CONFIG.
    expect(JSON.parse(out)).toEqual({ made: true, badDevice: 'INVALID_OPTIONS' });
  }, 120_000);
});
