import { defineConfig } from 'vitest/config';

// A real ACME CA (Pebble), PostgreSQL and HTTPS servers on a shared machine: generous timeouts, never
// timed assertions.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
