import { defineConfig } from 'vitest/config';

// End-to-end suites start real processes (demo apps, the dev issuer, Chromium): generous timeouts,
// one file at a time so they don't fight over the machine's two cores.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
