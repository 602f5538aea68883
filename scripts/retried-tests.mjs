// The tests of a vitest JSON report that passed only on a retry. CI retries a failed test once on its busy machine
// (vitest.config.ts); a test that needed it is flaky, and a flake is a bug to fix, so `npm test` lists them.
//
// vitest 4's JSON report has no retry count: a test that passed on a retry has the status "passed" and keeps the
// errors of its failed attempts in `failureMessages` (test/retried-tests.test.ts checks this on a real run).

/**
 * @param {{ testResults?: { name: string, assertionResults: { fullName: string, status: string, failureMessages?: string[] | null }[] }[] }} report
 * @returns {{ file: string, test: string, failures: string[] }[]}
 */
export function retriedTests(report) {
  const out = [];
  for (const file of report.testResults ?? []) {
    for (const t of file.assertionResults) {
      if (t.status === 'passed' && t.failureMessages && t.failureMessages.length > 0) {
        out.push({ file: file.name, test: t.fullName, failures: t.failureMessages });
      }
    }
  }
  return out;
}

/**
 * The block `npm test` prints at its end: each test, and the first line of its first failure.
 * @param {ReturnType<typeof retriedTests>} retried
 * @param {string} root paths are shown relative to it
 */
export function formatRetried(retried, root) {
  if (retried.length === 0) return '';
  const lines = [`== ${retried.length} passed only on a retry (flaky: a bug to fix, not to retry away) ==`];
  for (const r of retried) {
    const file = r.file.startsWith(`${root}/`) ? r.file.slice(root.length + 1) : r.file;
    const first = (r.failures[0] ?? '').split('\n')[0];
    lines.push(`- ${file} > ${r.test}`, `    first failure: ${first}`);
  }
  return lines.join('\n');
}
