// @ts-check
/**
 * Mutation testing of the server (`npm run mutation`; not part of `npm test`): every module (the gate, signing,
 * releases and auth among them), the client API's routes, and the plugins that guard it (rate limits, hostile
 * input, multipart uploads). The machine is small and shared: one test process, the SQLite half of the suites, and
 * an incremental file so that a second run re-tests only the mutants whose code or tests changed. Run a part with `npm run mutation -- --mutate <glob>`.
 * Scores are recorded in docs/TESTING.md. `MPOP_MUTATION_NAME=auth` keeps a partial run's reports, incremental
 * file and sandbox apart (reports/mutation/auth/), so that two partial runs may go side by side.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const name = process.env.MPOP_MUTATION_NAME;
const out = name ? `reports/mutation/${name}` : 'reports/mutation';

export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'packages/server/src/modules/**/*.ts',
    'packages/server/src/routes/client/**/*.ts',
    'packages/server/src/plugins/app/client-rate-limit.ts',
    'packages/server/src/plugins/app/hostile-input.ts',
    'packages/server/src/plugins/app/multipart.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 60_000,
  dryRunTimeoutMinutes: 60,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: `${out}/stryker-incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${out}/index.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  tempDirName: name ? `.stryker-tmp-${name}` : '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['.e2e-artifacts', '.stryker-tmp*', 'data', 'reports', 'packages/console', 'e2e', 'bench', 'docs'],
  thresholds: { high: 80, low: 60, break: null },
};
