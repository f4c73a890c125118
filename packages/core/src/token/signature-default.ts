/**
 * Which signature step a token verifier uses when none is given: `node:crypto` on Node.js, Web
 * Crypto elsewhere (see `runtime/node-crypto.ts`). One shared instance per process, so every guard
 * shares the imported keys.
 */
import { nodeCrypto } from '../runtime/node-crypto.js';
import { createNodeCryptoSignatureVerifier } from './node-signature.js';
import { type SignatureVerifier, webCryptoSignatureVerifier } from './signature.js';

let shared: SignatureVerifier | undefined;

/**
 * The default signature step of this runtime: `node:crypto` on Node.js, else Web Crypto.
 * @example
 * const step = defaultSignatureVerifier(); // has a synchronous tokenDigest on Node.js
 */
export function defaultSignatureVerifier(): SignatureVerifier {
  if (!shared) {
    const crypto = nodeCrypto();
    shared = crypto ? createNodeCryptoSignatureVerifier(crypto) : webCryptoSignatureVerifier;
  }
  return shared;
}
