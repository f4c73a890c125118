import { defineConfig } from 'vitest/config';

// Type tests (`*.test-d.ts`, `expectTypeOf`) run with the unit tests, checked by the TypeScript compiler.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
