#!/usr/bin/env node
// `npm test`: build what is stale, run every vitest project, and end with one plain summary line
// ("tests: N passed, N failed, N skipped, in M min S s") that any CI can read, after the list of the tests that
// passed only on a retry (CI retries a failure once; such a test is flaky). Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRetried, retriedTests } from './retried-tests.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
await import('./ensure-build.mjs');

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-vitest-')), 'report.json');
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);

let summary = 'tests: no report was written';
if (fs.existsSync(report)) {
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  const retried = retriedTests(r);
  summary = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`;
  // A file whose setup failed (beforeAll, an import) fails without a failed test: its tests count as skipped.
  const broken = (r.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  );
  if (broken.length > 0) {
    summary += ` (and ${broken.length} test ${broken.length === 1 ? 'file' : 'files'} failed before any test: ${broken
      .map((f) => path.relative(root, f.name))
      .join(', ')})`;
  }
  if (retried.length > 0) summary += ` (${retried.length} of the passed only on a retry, listed above)`;
  if (r.numTotalTests === 0) summary += ' (no test ran)';
  if (retried.length > 0) console.log(`\n${formatRetried(retried, root)}`);
}
const seconds = Math.round((Date.now() - started) / 1000);
summary += `, in ${Math.floor(seconds / 60)} min ${seconds % 60} s`;
console.log(`\n${summary}`);
process.exit(run.status ?? 1);
