import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanServerEnv, freePort, MAIN, run, waitFor } from './helpers/process.js';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');

describe('the built server loads its ES module packages bundled (scripts/vendor.mjs)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-modules-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('imports TypeBox, Kysely and the contracts from dist/vendor/ in every compiled file', () => {
    const bare = /(from\s*|import\s*\(\s*|import\s+)['"](typebox|kysely|@mpop\/contracts)(\/[^'"]*)?['"]/;
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'vendor') walk(p);
        } else if (e.name.endsWith('.js') && bare.test(fs.readFileSync(p, 'utf8'))) offenders.push(path.relative(dist, p));
      }
    };
    walk(dist);
    expect(offenders).toEqual([]);
    for (const m of ['typebox', 'typebox-value', 'kysely', 'contracts', 'contracts-constants'])
      expect(fs.existsSync(path.join(dist, 'vendor', `${m}.js`))).toBe(true);
  });

  it('starts with a few hundred ES modules, none of them read from TypeBox or Kysely file by file', async () => {
    // A module hook that records the URL of every ES module the server loads until it is stopped.
    const log = path.join(dir, 'loaded.txt');
    fs.writeFileSync(
      path.join(dir, 'hooks.mjs'),
      `import fs from 'node:fs';\nexport async function load(url, context, next) { fs.appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
    );
    fs.writeFileSync(
      path.join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
    );
    const port = await freePort();
    const server = run(process.execPath, ['--import', path.join(dir, 'register.mjs'), MAIN], cleanServerEnv(path.join(dir, 'data'), port));
    try {
      await waitFor(`http://127.0.0.1:${port}/readyz`, 60_000);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const loaded = fs.readFileSync(log, 'utf8').trim().split('\n');
    const fromPackage = (name: string) => loaded.filter((u) => u.includes(`/node_modules/${name}/`));
    expect(fromPackage('typebox')).toEqual([]);
    expect(fromPackage('kysely')).toEqual([]);
    expect(loaded.some((u) => u.endsWith('/dist/vendor/kysely.js'))).toBe(true);
    // 841 before the bundling (373 of them TypeBox's, 263 Kysely's); mpop's own files are most of what is left.
    expect(loaded.length).toBeLessThan(320);
  }, 90_000);
});
