import { defineConfig } from 'vitest/config';

// The smoke test runs the whole benchmark (every row, tiny durations) in a child process; on a busy
// 2-core machine that takes minutes, not seconds.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 60_000,
  },
});
