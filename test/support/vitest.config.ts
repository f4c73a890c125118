import { defineConfig } from 'vitest/config';

// A real issuer on a loopback socket: allow slow start-up on a busy machine.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000 },
});
