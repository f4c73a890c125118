import { defineConfig } from 'vitest/config';

// Every scenario starts real processes and servers (demo apps, the dev issuer, PostgreSQL, Chromium):
// generous timeouts, one file at a time so the scenarios don't fight over the machine's two cores.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
