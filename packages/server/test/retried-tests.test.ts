import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script of the repository, without type declarations (its JSDoc types it for editors)
import { formatRetried, retriedTests } from '../../../scripts/retried-tests.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');

describe('npm test lists the tests that passed only on a retry', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpop-retried-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds them in the JSON report of a real vitest run (and no other test)', () => {
    // A suite of its own: one test that fails on its first attempt only, one that passes, one that always fails.
    fs.writeFileSync(
      path.join(dir, 'vitest.config.mjs'),
      'export default { test: { globals: true, retry: 1, include: ["*.probe.mjs"] } };\n',
    );
    fs.writeFileSync(
      path.join(dir, 'flaky.probe.mjs'),
      [
        "import fs from 'node:fs';",
        `const marker = ${JSON.stringify(path.join(dir, 'marker'))};`,
        "it('fails on its first attempt only', () => {",
        '  const first = !fs.existsSync(marker);',
        "  fs.writeFileSync(marker, 'x');",
        "  if (first) throw new Error('first attempt fails');",
        '});',
        "it('passes at once', () => {});",
        "it('always fails', () => { throw new Error('every attempt fails'); });",
        '',
      ].join('\n'),
    );
    const report = path.join(dir, 'report.json');
    const run = spawnSync(process.execPath, [vitest, 'run', '--root', dir, '--reporter=json', `--outputFile.json=${report}`], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, CI: '' },
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(1); // one test fails on both attempts
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(json.numPassedTests).toBe(2);

    const retried = retriedTests(json);
    expect(retried).toEqual([
      {
        file: path.join(dir, 'flaky.probe.mjs'),
        test: 'fails on its first attempt only',
        failures: [expect.stringContaining('first attempt fails')],
      },
    ]);
    const block = formatRetried(retried, dir);
    expect(block).toContain('1 passed only on a retry');
    expect(block).toContain('- flaky.probe.mjs > fails on its first attempt only');
    expect(block).toContain('first failure: Error: first attempt fails');
  });

  it('prints nothing when no test needed a retry', () => {
    const report = { testResults: [{ name: 'a.test.ts', assertionResults: [{ fullName: 'a', status: 'passed', failureMessages: [] }] }] };
    expect(retriedTests(report)).toEqual([]);
    expect(formatRetried([], root)).toBe('');
  });
});
