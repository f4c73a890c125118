// Access-token verification (JWT per RFC 9068 / RFC 8725, opaque per RFC 7662). Re-exports only.

export { discoveryUrls } from './discovery.js';
export type { NodeSignatureVerifier } from './node-signature.js';
// Every export of options.ts is public: the option types and the algorithm lists.
export * from './options.js';
export { type SignatureVerifier, webCryptoSignatureVerifier } from './signature.js';
export { defaultSignatureVerifier } from './signature-default.js';
export { createTokenVerifier, type TokenVerifier } from './verifier.js';
