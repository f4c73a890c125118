/**
 * The two settings a new key must share with the application that verifies it: the key prefix
 * (`--prefix`, else `RESTGUARD_API_KEY_PREFIX`, else `rg_live`) and the current pepper
 * (`RESTGUARD_API_KEY_PEPPER=ID:SECRET`). A pepper is only ever read from the environment, never
 * from a flag: flags end up in shell history and in every user's process list.
 */
import {
  type ApiKeyHasher,
  createApiKeyHasher,
  DEFAULT_API_KEY_PREFIX,
  isValidApiKeyPrefix,
} from '@restguard/core';
import { UsageError } from './errors.js';

/**
 * The prefix for new keys, validated (lowercase letters, digits, single underscores, ≤ 32).
 * @example
 * resolvePrefix(undefined, { RESTGUARD_API_KEY_PREFIX: 'rg_test' }); // 'rg_test'
 */
export function resolvePrefix(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const fromEnv = env.RESTGUARD_API_KEY_PREFIX?.trim() || undefined;
  const prefix = flag ?? fromEnv ?? DEFAULT_API_KEY_PREFIX;
  if (!isValidApiKeyPrefix(prefix)) {
    const source = flag !== undefined ? '--prefix' : 'RESTGUARD_API_KEY_PREFIX';
    throw new UsageError(
      `${source} must be lowercase letters, digits and single underscores, start with a letter and be at most 32 characters (e.g. rg_live).`,
    );
  }
  return prefix;
}

/**
 * The hasher for new keys: HMAC-SHA256 under `RESTGUARD_API_KEY_PEPPER` (`ID:SECRET`, secret of at
 * least 32 bytes) when set, else plain SHA-256. It must match the application's current pepper,
 * or keys the CLI creates are hashed under a scheme the application does not look up first.
 * @example
 * resolveHasher({ RESTGUARD_API_KEY_PEPPER: '2025-01:…32+ bytes…' }).currentScheme; // 'hmac-sha256:2025-01'
 */
export function resolveHasher(env: Readonly<Record<string, string | undefined>>): ApiKeyHasher {
  const raw = env.RESTGUARD_API_KEY_PEPPER;
  if (raw === undefined || raw === '') return createApiKeyHasher();
  const colon = raw.indexOf(':');
  const id = colon > 0 ? raw.slice(0, colon) : '';
  const secret = colon > 0 ? raw.slice(colon + 1) : '';
  try {
    if (!id || !secret) throw new Error('shape');
    return createApiKeyHasher({ peppers: [{ id, secret }] });
  } catch {
    // Never echo any part of the value: it is a secret.
    throw new UsageError(
      'RESTGUARD_API_KEY_PEPPER must be ID:SECRET (id: letters, digits, ".", "_", "-"; secret: at least 32 bytes).',
    );
  }
}
