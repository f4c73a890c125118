import { defineConfig } from 'vitest/config';

// One registry and one publish (global setup) shared by every scenario; the scenario files install and
// run in parallel. Installs go through a real registry on a busy 2-core machine: generous bounds.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    maxWorkers: 3,
    fileParallelism: true,
  },
});
