// The token security suites (RFC 8725 / RFC 9068 rules, JWKS handling, the verified-token cache) run a
// second time here with the node:crypto signature step: every verifier those suites build gets
// `signatureVerifier: createNodeSignatureVerifier()` unless the test chose its own.
import { afterAll, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ verify: 0 }));

vi.mock('../token/verifier.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../token/verifier.js')>();
  const { createNodeSignatureVerifier } = await import('./fast-signature.js');
  const step = createNodeSignatureVerifier();
  const counted = {
    importKey: step.importKey,
    verify: (...args: Parameters<typeof step.verify>) => {
      calls.verify++;
      return step.verify(...args);
    },
  };
  return {
    ...real,
    createTokenVerifier: (options: Parameters<typeof real.createTokenVerifier>[0]) =>
      real.createTokenVerifier({ ...options, signatureVerifier: options.signatureVerifier ?? counted }),
  };
});

await import('../../test/token-jwt.test.js');
await import('../../test/token-jwks.test.js');
await import('../../test/token-cache.test.js');

it('ran the suites above through the node:crypto step', () => {
  expect(calls.verify).toBeGreaterThan(0);
});

afterAll(() => {
  expect(calls.verify).toBeGreaterThan(10);
});
