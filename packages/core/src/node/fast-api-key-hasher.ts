/**
 * A Node-only API-key hasher: the same schemes and the same bytes as `createApiKeyHasher`
 * (`sha256`: base64url SHA-256 of the key's UTF-8; `hmac-sha256:<id>`: base64url HMAC-SHA256 under the
 * pepper), computed synchronously with `node:crypto`. Web Crypto's `digest`/`sign` run on libuv's
 * thread pool, so each call waits for a thread hand-off; on a busy 2-core machine that hand-off, not
 * the hash, is most of an API-key check. Outputs are checked equal to the default hasher's by a
 * differential test (`fast-api-key-hasher.test.ts`).
 */
import { createHash, createHmac } from 'node:crypto';
import { type ApiKeyHasher, type ApiKeyHasherOptions, createApiKeyHasher } from '../api-key/hash.js';
import { ConfigInvalidError } from '../errors.js';

const encoder = new TextEncoder();

/**
 * Builds a hasher equal to `createApiKeyHasher(options)` in schemes, validation and output, without
 * Web Crypto. Give the same instance to the guard (`apiKeys.hasher`) and to `createApiKey`.
 * @example
 * import { createGuard, createApiKey } from '@restguard/core';
 * import { createNodeApiKeyHasher } from '@restguard/core/node';
 *
 * const hasher = createNodeApiKeyHasher({ peppers: [{ id: '2025-01', secret: pepperBytes }] });
 * const guard = createGuard({ apiKeys: { store, hasher } });
 * const { key } = await createApiKey(store, { name: 'ci', permissions: ['read'], hasher });
 */
export function createNodeApiKeyHasher(options: ApiKeyHasherOptions = {}): ApiKeyHasher {
  // The default hasher validates the peppers (same errors) and orders the schemes.
  const reference = createApiKeyHasher(options);
  const secrets = new Map<string, Buffer>();
  for (const pepper of options.peppers ?? []) {
    const bytes = typeof pepper.secret === 'string' ? encoder.encode(pepper.secret) : pepper.secret;
    secrets.set(`hmac-sha256:${pepper.id}`, Buffer.from(bytes));
  }
  return {
    currentScheme: reference.currentScheme,
    schemes: reference.schemes,
    hash(key, scheme = reference.currentScheme) {
      const data = encoder.encode(key);
      if (scheme === 'sha256') return Promise.resolve(createHash('sha256').update(data).digest('base64url'));
      const secret = secrets.get(scheme);
      if (!secret) return Promise.reject(new ConfigInvalidError('Unknown API-key hash scheme.'));
      return Promise.resolve(createHmac('sha256', secret).update(data).digest('base64url'));
    },
  };
}
