import { defineConfig } from 'vitest/config';

/**
 * One test command for the whole repository (`npm test`): server integration tests on SQLite and PostgreSQL,
 * console component tests in jsdom, and browser end-to-end tests in Chromium.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'server',
          include: ['packages/server/test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['packages/server/test/helpers/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'client',
          include: ['packages/client/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      './packages/console/vitest.config.ts',
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['packages/server/test/helpers/global-setup.ts'],
          // Each wait on the page may take up to 30 s on a busy machine (e2e/helpers.ts); a test has several.
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
