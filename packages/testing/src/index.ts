// Public API of @restguard/testing. This file only re-exports.
export { createDpopProver, type DpopProofInput, type DpopProver } from './dpop.js';
export { createTestIssuer, type TestIssuer, type TestIssuerOptions } from './issuer.js';
export { generateTestKey, TEST_ALGORITHMS, type TestAlgorithm, type TestKey } from './keys.js';
export {
  createTestKit,
  type TestKit,
  type TestKitCore,
  type TestKitGuardOptions,
  type TestKitOptions,
} from './kit.js';
export { type BadTokens, encodeJws, type MintClaims, type MintOptions } from './mint.js';
export { type RawAnswer, type RawRequestOptions, sendRaw } from './raw-request.js';
export { type EndpointMode, HUGE_BODY_BYTES, type RequestCounts, type TestEndpoint } from './server.js';
export { createCaFetch, type FetchLike, generateTestTls, type TestTlsMaterial } from './tls.js';
