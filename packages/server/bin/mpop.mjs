#!/usr/bin/env node
// `npx mpop`: the command line of the platform (packages/server/src/cli). On a fresh checkout the server package
// is built first (its output goes to stderr, so `--json` output on stdout stays clean).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(cli)) {
  const root = path.resolve(here, '..', '..', '..');
  process.stderr.write('[mpop] building the server package first…\n');
  const built = spawnSync('npm', ['run', 'build', '-w', '@mpop/contracts', '-w', '@mpop/server'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (built.status !== 0) process.exit(1);
}
await import(pathToFileURL(cli).href);
