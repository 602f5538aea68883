import { defineConfig } from 'vitest/config';

/**
 * The server suites as StrykerJS runs them (`npm run mutation`, see docs/TESTING.md): SQLite only, and without the
 * suites that start extra processes or need PostgreSQL by design, so that each mutant's re-run stays short.
 */
export default defineConfig({
  test: {
    include: ['packages/server/test/**/*.test.ts'],
    exclude: [
      'packages/server/test/process.test.ts',
      'packages/server/test/multi-instance.test.ts',
      'packages/server/test/postgres-outage.test.ts',
    ],
    environment: 'node',
    globalSetup: ['packages/server/test/helpers/global-setup.ts'],
    env: { MPOP_TEST_SQLITE_ONLY: '1' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
