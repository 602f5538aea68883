import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Test files that replace a module or a global (vi.mock, vi.stubGlobal, …): each runs in a module graph and jsdom
 * of its own, so that what it replaces cannot reach another file, nor another file's modules reach it.
 */
const replacing = fs
  .readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.tsx'))
  .map((f) => `src/${f.split(path.sep).join('/')}`)
  .filter((f) => /\bvi\.(mock|doMock|stubGlobal|stubEnv|useFakeTimers|spyOn)\(/.test(fs.readFileSync(path.join(root, f), 'utf8')));

const common = {
  root,
  environment: 'jsdom',
  setupFiles: ['src/test/setup.ts'],
  // jsdom rendering of antd is slow on a busy 2-core machine; CI runs a failed test once more (see the root config).
  testTimeout: 120_000,
  retry: process.env.CI ? 1 : 0,
} as const;

/**
 * The console's component tests, in two projects: `console`, whose files share one module graph and one jsdom per
 * worker (`isolate: false`: importing antd and making a jsdom took each file longer than its tests), and
 * `console-isolated`, the files listed above. src/test/setup.ts runs before every file and cleans up after each test.
 */
export const consoleProjects = [
  defineProject({
    test: { ...common, name: 'console', include: ['src/**/*.test.tsx'], exclude: ['**/node_modules/**', ...replacing], isolate: false },
  }),
  defineProject({ test: { ...common, name: 'console-isolated', include: replacing.length > 0 ? replacing : ['(none)'] } }),
];

export default consoleProjects[0];
