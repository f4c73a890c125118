import { defineConfig } from 'vitest/config';

// The CLI tests start the real binary as child processes on a shared, busy machine: generous
// timeouts (these are not speed assertions), and one file at a time so PostgreSQL and SQLite runs
// do not compete for the two cores.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
