import os from 'node:os';
import { defineConfig } from 'vitest/config';
import { consoleProjects } from './packages/console/vitest.config.ts';

/**
 * One test command for the whole repository (`npm test`): server integration tests on SQLite and PostgreSQL,
 * console component tests in jsdom, and browser end-to-end tests in Chromium.
 */
// CI runs on a busy 2-core machine: a test that fails is run once more before it counts as failed (a real failure
// fails twice). Locally a failure is reported at once.
const retry = process.env.CI ? 1 : 0;

// Most test files spend their time waiting (on PostgreSQL, on server processes they start, on timeouts they prove),
// not computing: vitest's default of one file per core less would run them one at a time on CI's 2 cores. Three side
// by side keep both cores busy. Every PostgreSQL test app has its own schema, with its own change channel and locks.
const maxWorkers = Math.max(3, os.availableParallelism() - 1);

export default defineConfig({
  test: {
    maxWorkers,
    projects: [
      {
        test: {
          name: 'server',
          retry,
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
          retry,
          include: ['packages/client/test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      ...consoleProjects,
      {
        test: {
          name: 'e2e',
          retry,
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['packages/server/test/helpers/global-setup.ts'],
          // Each wait on the page may take up to 30 s on a busy machine (e2e/helpers.ts); a test has several.
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // Two files at once, each with its own server and browser on free ports: a browser test mostly waits on its
          // page, so two keep the cores busier than one (the whole project took 3.5 minutes one file at a time). A
          // project with its own maxWorkers runs as a group of its own, after the others.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
