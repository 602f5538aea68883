import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script of the repository, without type declarations
import { lastChanged, PACKAGES } from '../../../scripts/build-inputs.mjs';

type Pkg = { name: string; dir: string; inputs: string[] };
const consolePkg = (PACKAGES as Pkg[]).find((p) => p.name === '@mpop/console')!;

/** Sets a file's modification time to `at` (ms), making it (and its folders) first. */
function touch(root: string, file: string, at: number) {
  const p = path.join(root, file);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  if (!fs.existsSync(p)) fs.writeFileSync(p, 'x');
  fs.utimesSync(p, at / 1000, at / 1000);
}

describe('the build check of npm start and npm test (scripts/build-inputs.mjs)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-build-inputs-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const t0 = Date.UTC(2026, 0, 1);

  it('counts a change to a source, not to a test beside the sources', () => {
    touch(root, 'packages/console/src/pages/Page.tsx', t0);
    touch(root, 'packages/console/index.html', t0);
    expect(lastChanged(root, consolePkg)).toBe(t0);
    // Tests and test helpers inside src/ are not part of the build.
    touch(root, 'packages/console/src/pages/Page.test.tsx', t0 + 60_000);
    touch(root, 'packages/console/src/test/setup.ts', t0 + 120_000);
    expect(lastChanged(root, consolePkg)).toBe(t0);
    // A source is.
    touch(root, 'packages/console/src/pages/Other.tsx', t0 + 180_000);
    expect(lastChanged(root, consolePkg)).toBe(t0 + 180_000);
    touch(root, 'packages/console/public/favicon.svg', t0 + 240_000);
    expect(lastChanged(root, consolePkg)).toBe(t0 + 240_000);
  });

  it('lists every workspace package, the contracts first (the others are built from them)', () => {
    const workspaces = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).workspaces as string[];
    expect((PACKAGES as Pkg[]).map((p) => p.dir).sort()).toEqual(workspaces.filter((w) => w.startsWith('packages/')).sort());
    expect((PACKAGES as Pkg[])[0].name).toBe('@mpop/contracts');
  });
});
