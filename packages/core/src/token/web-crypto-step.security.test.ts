// On Node.js the token suites run on the default step, `node:crypto`. Here the same suites (RFC 8725 /
// RFC 9068 rules, JWKS handling, the verified-token cache) run a second time on the portable Web Crypto
// step — what Workers, Deno and Bun use: every verifier those suites build gets
// `signatureVerifier: webCryptoSignatureVerifier` unless the test chose its own.
import { afterAll, expect, it, vi } from 'vitest';
import { defaultSignatureVerifier } from './signature-default.js';

const calls = vi.hoisted(() => ({ verify: 0 }));

vi.mock('./verifier.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./verifier.js')>();
  const { webCryptoSignatureVerifier } = await import('./signature.js');
  const counted = {
    importKey: webCryptoSignatureVerifier.importKey,
    verify: (...args: Parameters<typeof webCryptoSignatureVerifier.verify>) => {
      calls.verify++;
      return webCryptoSignatureVerifier.verify(...args);
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

it('uses the node:crypto step by default on Node.js (so the suites above cover both steps)', () => {
  expect(typeof (defaultSignatureVerifier() as { tokenDigest?: unknown }).tokenDigest).toBe('function');
});

it('ran the suites above through the Web Crypto step', () => {
  expect(calls.verify).toBeGreaterThan(0);
});

afterAll(() => {
  expect(calls.verify).toBeGreaterThan(10);
});
