#!/usr/bin/env node
// Builds each workspace package whose sources are newer than its last build (or that was never built).
// Used by `npm start` and `npm test`, so a fresh checkout and an edited one both run what is in the tree.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastChanged, PACKAGES } from './build-inputs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--all` (npm run build) builds everything; otherwise only what is stale.
let upstreamRebuilt = process.argv.includes('--all');
for (const pkg of PACKAGES) {
  const stamp = path.join(root, pkg.dir, 'dist', '.build-stamp');
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  if (!upstreamRebuilt && built >= lastChanged(root, pkg)) continue;
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
