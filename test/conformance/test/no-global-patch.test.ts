// Importing an adapter (and @restguard/core/node, which the Express and Fastify adapters load for
// connection info) must leave the application's globals as they were: no `Reflect.getMetadata`
// polyfill from an X.509 library's dependencies. Each import runs in a fresh Node.js process.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const probe = (specifier: string): string =>
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const before = Object.getOwnPropertyNames(Reflect).sort().join();
       await import(${JSON.stringify(specifier)});
       process.stdout.write(before === Object.getOwnPropertyNames(Reflect).sort().join() ? 'same' : 'patched');`,
    ],
    { cwd: new URL('..', import.meta.url), encoding: 'utf8', timeout: 30_000 },
  );

describe('importing restguard patches no globals', () => {
  for (const specifier of [
    '@restguard/express',
    '@restguard/fastify',
    '@restguard/hono',
    '@restguard/core/node',
  ]) {
    it(`${specifier} leaves globalThis.Reflect as it was`, () => {
      expect(probe(specifier)).toBe('same');
    });
  }
});
