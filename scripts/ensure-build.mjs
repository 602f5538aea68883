#!/usr/bin/env node
// Builds each workspace package whose sources are newer than its last build (or that was never built).
// Used by `npm start` and `npm test`, so a fresh checkout and an edited one both run what is in the tree.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packages = [
  { name: '@mpop/contracts', dir: 'packages/contracts', inputs: ['src', 'tsconfig.json', 'package.json'] },
  { name: '@mpop/client', dir: 'packages/client', inputs: ['src', 'tsconfig.json', 'package.json'] },
  { name: '@mpop/server', dir: 'packages/server', inputs: ['src', 'scripts', 'tsconfig.json', 'package.json'] },
  { name: '@mpop/console', dir: 'packages/console', inputs: ['src', 'index.html', 'vite.config.ts', 'package.json', 'public'] },
];

function newest(p) {
  if (!fs.existsSync(p)) return 0;
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((f) => newest(path.join(p, f))));
}

// `--all` (npm run build) builds everything; otherwise only what is stale.
let upstreamRebuilt = process.argv.includes('--all');
for (const pkg of packages) {
  const stamp = path.join(root, pkg.dir, 'dist', '.build-stamp');
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const changed = Math.max(...pkg.inputs.map((i) => newest(path.join(root, pkg.dir, i))));
  if (!upstreamRebuilt && built >= changed) continue;
  console.log(`[mpop] building ${pkg.name}${built ? ' (sources changed)' : ''}…`);
  // The compilers' own output is noise when they succeed (it buried the server's first lines under `npm start`):
  // it is shown only when a build fails, with the command to run it again by hand.
  const build = spawnSync('npm', ['run', 'build', '-w', pkg.name], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (build.status !== 0) {
    process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}`);
    console.error(`[mpop] building ${pkg.name} failed (npm run build -w ${pkg.name} shows the same output)`);
    process.exit(build.status ?? 1);
  }
  fs.writeFileSync(stamp, new Date().toISOString());
  upstreamRebuilt = pkg.name === '@mpop/contracts' || upstreamRebuilt;
}
