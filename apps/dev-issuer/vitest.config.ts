import { defineConfig } from 'vitest/config';

// Each test file starts real HTTPS servers and generates RSA keys: generous timeouts on a shared
// machine, and one file at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
