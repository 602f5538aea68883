// What each workspace package is built from, in build order, and when that last changed (scripts/ensure-build.mjs).
import fs from 'node:fs';
import path from 'node:path';

export const PACKAGES = [
  { name: '@mpop/contracts', dir: 'packages/contracts', inputs: ['src', 'tsconfig.json', 'package.json'] },
  { name: '@mpop/client', dir: 'packages/client', inputs: ['src', 'tsconfig.json', 'package.json'] },
  { name: '@mpop/server', dir: 'packages/server', inputs: ['src', 'scripts', 'tsconfig.json', 'package.json'] },
  { name: '@mpop/console', dir: 'packages/console', inputs: ['src', 'index.html', 'vite.config.ts', 'package.json', 'public'] },
];

/** Tests beside the sources (the console's `*.test.tsx` and `src/test/`) are not built: editing one rebuilds nothing. */
const notBuilt = (name) => name.includes('.test.') || name === 'test';

/** The newest modification time (ms) of `p` and of everything under it that is built; 0 when it does not exist. */
export function newest(p) {
  if (!fs.existsSync(p)) return 0;
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(
    0,
    ...fs
      .readdirSync(p)
      .filter((f) => !notBuilt(f))
      .map((f) => newest(path.join(p, f))),
  );
}

/** When an input of `pkg` (one of PACKAGES) under `root` last changed. */
export const lastChanged = (root, pkg) => Math.max(...pkg.inputs.map((i) => newest(path.join(root, pkg.dir, i))));
