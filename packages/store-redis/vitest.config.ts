import { defineConfig } from 'vitest/config';

// Real databases and child processes on a shared machine: generous timeouts, never timed assertions.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
