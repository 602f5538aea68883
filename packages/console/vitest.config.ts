import { defineProject } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineProject({
  test: {
    name: 'console',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['src/**/*.test.tsx'],
    environment: 'jsdom',
    setupFiles: ['src/test/setup.ts'],
    testTimeout: 120_000,
  },
});
