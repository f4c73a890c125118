import { defineConfig } from 'vitest/config';

// Real servers (4 adapters × 2 profiles, HTTPS and HTTP) and a real issuer: allow slow start-up on a busy machine.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000 },
});
