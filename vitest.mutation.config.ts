import { defineConfig } from 'vitest/config';

// Read by the global setup, which runs in this process (a `test.env` entry would reach only the test workers).
process.env.MPOP_TEST_SQLITE_ONLY = '1';

/**
 * `MPOP_MUTATION_TESTS=dev-config,malformed-input`: only these suites (a quicker run for one module). A name with a
 * `/` is a path from the repository's root, for suites of other packages: `packages/client/test/release-signature`.
 */
const only = process.env.MPOP_MUTATION_TESTS?.split(',').map((name) =>
  name.includes('/') ? `${name.trim()}.test.ts` : `packages/server/test/${name.trim()}.test.ts`,
);

/**
 * The server suites as StrykerJS runs them (`npm run mutation`, see docs/TESTING.md): SQLite only, and without the
 * suites that start extra processes or need PostgreSQL by design, so that each mutant's re-run stays short.
 */
export default defineConfig({
  test: {
    include: only ?? ['packages/server/test/**/*.test.ts'],
    exclude: [
      'packages/server/test/process.test.ts',
      'packages/server/test/multi-instance.test.ts',
      'packages/server/test/postgres-outage.test.ts',
      // Tests of the repository's scripts (it runs vitest itself), not of the server's code.
      'packages/server/test/retried-tests.test.ts',
    ],
    environment: 'node',
    globalSetup: ['packages/server/test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
