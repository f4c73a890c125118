/**
 * The `node:crypto` API-key hasher as an explicit choice (`@restguard/core/node`): the same schemes
 * and bytes as the Web Crypto hasher, computed synchronously. On Node.js `createApiKeyHasher` already
 * uses it (reached through `process.getBuiltinModule`); this entry imports `node:crypto` statically.
 * Outputs are checked equal to the Web Crypto hasher's by a differential test
 * (`fast-api-key-hasher.test.ts`).
 */
import * as crypto from 'node:crypto';
import {
  type ApiKeyHasher,
  type ApiKeyHasherOptions,
  createNodeCryptoApiKeyHasher,
} from '../api-key/hash.js';

/**
 * Builds a hasher equal to `createWebCryptoApiKeyHasher(options)` in schemes, validation and output.
 * Give the same instance to the guard (`apiKeys.hasher`) and to `createApiKey`.
 * @example
 * import { createGuard, createApiKey } from '@restguard/core';
 * import { createNodeApiKeyHasher } from '@restguard/core/node';
 *
 * const hasher = createNodeApiKeyHasher({ peppers: [{ id: '2025-01', secret: pepperBytes }] });
 * const guard = createGuard({ apiKeys: { store, hasher } });
 * const { key } = await createApiKey(store, { name: 'ci', permissions: ['read'], hasher });
 */
export function createNodeApiKeyHasher(options: ApiKeyHasherOptions = {}): ApiKeyHasher {
  return createNodeCryptoApiKeyHasher(crypto, options);
}
