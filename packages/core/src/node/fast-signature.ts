/**
 * The `node:crypto` signature step as an explicit choice (`@restguard/core/node`). On Node.js core
 * already uses it by default (`token/node-signature.ts`, reached through `process.getBuiltinModule`);
 * this entry imports `node:crypto` statically, for bundlers and runtimes where that detection is off.
 */
import * as crypto from 'node:crypto';
import { createNodeCryptoSignatureVerifier, type NodeSignatureVerifier } from '../token/node-signature.js';

export type { NodeSignatureVerifier } from '../token/node-signature.js';

/**
 * Builds a `node:crypto` signature step with its own bounded cache of imported keys.
 * @example
 * import { createGuard } from '@restguard/core';
 * import { createNodeSignatureVerifier } from '@restguard/core/node';
 *
 * const guard = createGuard({
 *   tokens: { issuers: [{ issuer, audience }], signatureVerifier: createNodeSignatureVerifier() },
 * });
 */
export function createNodeSignatureVerifier(): NodeSignatureVerifier {
  return createNodeCryptoSignatureVerifier(crypto);
}

/**
 * A shared {@link createNodeSignatureVerifier} instance, for the common case of one guard per process.
 * @example
 * createGuard({ tokens: { issuers, signatureVerifier: nodeSignatureVerifier } });
 */
export const nodeSignatureVerifier: NodeSignatureVerifier = createNodeSignatureVerifier();
