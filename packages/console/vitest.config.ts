import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'console', include: ['packages/console/src/**/*.test.tsx', 'src/**/*.test.tsx'], environment: 'jsdom' },
});
