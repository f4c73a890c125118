// DPoP (RFC 9449) at the resource server. Re-exports only.
export * from './options.js';
export * from './replay-store.js';
export { boundThumbprint, createDpopVerifier, type DpopVerifier } from './verifier.js';
