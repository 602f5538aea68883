#!/usr/bin/env node
// Second step of the server's build (`npm run build -w @mpop/server`, after `tsc -b`): the ES module packages that a
// start loads file by file are bundled into a few modules of dist/vendor/, and the compiled files import those.
//
// Why: a start loaded 841 ES modules, 373 of them TypeBox's and 263 Kysely's, and Node's module loader (resolving,
// reading, linking each) was about two thirds of the start's CPU (docs/BENCHMARKS.md, Start-up). Bundled with
// esbuild, with shared chunks so that each package exists once, the server is ready about 0.3 s of CPU sooner.
// The sources and the tests (vitest runs the sources) import the packages as usual; only dist/ is rewritten, and
// the rewrite is idempotent, so it runs after every `tsc -b`, whatever that emitted.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(pkgDir, 'dist');
const vendor = path.join(dist, 'vendor');

/** Module specifiers the compiled files use, by the name of the module that replaces them in dist/vendor/. */
const VENDORED = {
  typebox: 'typebox',
  'typebox-value': 'typebox/value',
  kysely: 'kysely',
  contracts: '@mpop/contracts',
  'contracts-constants': '@mpop/contracts/constants',
};

fs.rmSync(vendor, { recursive: true, force: true });
fs.mkdirSync(vendor, { recursive: true });
const entries = {};
for (const [name, specifier] of Object.entries(VENDORED)) {
  const entry = path.join(vendor, `${name}.entry.mjs`);
  fs.writeFileSync(entry, `export * from '${specifier}';\n`);
  entries[name] = entry;
}
try {
  await build({
    entryPoints: entries,
    outdir: vendor,
    bundle: true,
    splitting: true, // what two entries share (TypeBox, for @mpop/contracts and typebox) is one chunk
    format: 'esm',
    platform: 'node',
    target: 'node20',
    absWorkingDir: pkgDir,
    logLevel: 'warning',
  });
} finally {
  for (const entry of Object.values(entries)) fs.rmSync(entry);
}

const quoted = Object.entries(VENDORED).map(([name, specifier]) => ({ name, patterns: [`'${specifier}'`, `"${specifier}"`] }));
let rewritten = 0;
const rewrite = (file) => {
  const text = fs.readFileSync(file, 'utf8');
  let out = text;
  for (const { name, patterns } of quoted) {
    let target = path
      .relative(path.dirname(file), path.join(vendor, `${name}.js`))
      .split(path.sep)
      .join('/');
    if (!target.startsWith('.')) target = `./${target}`;
    // Only import and export statements and import() name a module with these exact quoted strings.
    for (const p of patterns)
      out = out.replace(new RegExp(`(from\\s*|import\\s*\\(\\s*|import\\s+)${p.replace(/[/.@]/g, '\\$&')}`, 'g'), `$1'${target}'`);
  }
  if (out !== text) {
    fs.writeFileSync(file, out);
    rewritten++;
  }
};
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (p !== vendor) walk(p);
    } else if (entry.name.endsWith('.js')) rewrite(p);
  }
};
walk(dist);
if (process.env.MPOP_VENDOR_VERBOSE) console.log(`[vendor] ${rewritten} files now import dist/vendor/`);
