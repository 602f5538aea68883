import { defineProject } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineProject({
  test: {
    name: 'console',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['src/**/*.test.tsx'],
    environment: 'jsdom',
    setupFiles: ['src/test/setup.ts'],
    // jsdom rendering of antd is slow on a busy 2-core machine; CI runs a failed test once more (see the root config).
    testTimeout: 120_000,
    retry: process.env.CI ? 1 : 0,
  },
});
