/**
 * API-key management on top of any {@link ApiKeyStore}: create, list, revoke, rotate. Used by the
 * `restguard` CLI, admin endpoints and the demos. The plain key is returned once, by
 * {@link createApiKey} and {@link rotateApiKey}, and never stored, logged or returned again; every
 * record handed back is an {@link ApiKeySummary}, which has no hash.
 */

import type { ApiKeyInfo } from '../principal.js';
import { formatRate, type RateLimit, toRateLimit } from '../rate-limit/rate.js';
import { apiKeyStoreError } from '../store-support.js';
import {
  assertApiKeyPrefix,
  DEFAULT_API_KEY_PREFIX,
  generateApiKey,
  parseApiKey,
  randomBase62,
} from './format.js';
import { type ApiKeyHasher, createApiKeyHasher } from './hash.js';
import type { ApiKeyRecord, ApiKeyStore } from './store.js';
import {
  ApiKeyManagementError,
  validateExpiry,
  validateMetadata,
  validateName,
  validatePermissions,
  validateSubject,
} from './validate.js';

/** A record without its hash: what management calls return and what may be printed. */
export type ApiKeySummary = Omit<ApiKeyRecord, 'hash' | 'hashScheme'>;

/** Options for {@link createApiKey}. */
export interface CreateApiKeyOptions {
  name: string;
  /** Validated against {@link PERMISSION_PATTERN}; at least one. */
  permissions: readonly string[];
  /** Must be in the future; omitted or null: no expiry. */
  expiresAt?: Date | null;
  /** The owner behind the key; the principal's subject becomes `apikey:<id>` when absent. */
  subject?: string | null;
  metadata?: Record<string, unknown>;
  /** Default `rg_live`. */
  prefix?: string;
  /** Default: `sha256`. Pass the same hasher (peppers) the verifier uses. */
  hasher?: ApiKeyHasher;
  /** The key's own rate limit: `'100/min'` or a `RateLimit`. Default: the guard's default. */
  rateLimit?: RateLimit | string | null;
  /** The clock, for tests. */
  now?: Date;
}

/** Options for {@link rotateApiKey}. */
export interface RotateApiKeyOptions {
  /** How long the old key keeps working, in seconds (0 to 31,536,000). Default 86,400 (24 h). */
  graceSeconds?: number;
  hasher?: ApiKeyHasher;
  now?: Date;
}

/** A new key: its summary and the plain key, shown once. */
export interface IssuedApiKey {
  record: ApiKeySummary;
  /** The plain key. Show it once; it cannot be recovered. */
  key: string;
}

const defaultHasher = createApiKeyHasher();

/**
 * Drops the hash and scheme from a record.
 * @example
 * console.log(JSON.stringify(toApiKeySummary(record)));
 */
export function toApiKeySummary(record: ApiKeyRecord): ApiKeySummary {
  const { hash: _hash, hashScheme: _scheme, ...summary } = record;
  return summary;
}

/**
 * The public part of a record, as a principal carries it.
 * @example
 * const info = toApiKeyInfo(record); // { id, name, prefix, permissions, subject, metadata, createdAt, expiresAt }
 */
export function toApiKeyInfo(record: ApiKeyRecord | ApiKeySummary): ApiKeyInfo {
  return {
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    permissions: [...record.permissions],
    subject: record.subject,
    metadata: record.metadata,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    rateLimit: record.rateLimit ?? null,
  };
}

/**
 * A new opaque record id: `key_` and 22 base62 characters (≈ 131 random bits).
 * @example
 * newApiKeyId(); // 'key_4vQ…'
 */
export function newApiKeyId(): string {
  return `key_${randomBase62(22)}`;
}

/**
 * Runs a store call; anything that is not a restguard error becomes an `UnavailableError` (503).
 * @example
 * const record = await callStore(() => store.findById(id));
 */
export async function callStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw apiKeyStoreError(err);
  }
}

/**
 * Creates a key and stores its hash. Validates everything first; nothing is written on bad input.
 * @example
 * const { record, key } = await createApiKey(store, { name: 'ci', permissions: ['read'] });
 * console.log(key); // shown once
 */
export async function createApiKey(store: ApiKeyStore, options: CreateApiKeyOptions): Promise<IssuedApiKey> {
  const now = options.now ?? new Date();
  const name = validateName(options.name);
  const permissions = validatePermissions(options.permissions);
  const expiresAt = validateExpiry(options.expiresAt, now);
  const subject = validateSubject(options.subject);
  const metadata = validateMetadata(options.metadata);
  const prefix = validPrefix(options.prefix ?? DEFAULT_API_KEY_PREFIX);
  const rateLimit = validateRate(options.rateLimit);
  const hasher = options.hasher ?? defaultHasher;
  const key = generateApiKey(prefix);
  const record: ApiKeyRecord = {
    id: newApiKeyId(),
    name,
    prefix: parseApiKey(key)!.displayPrefix,
    hash: await hasher.hash(key),
    hashScheme: hasher.currentScheme,
    permissions,
    subject,
    metadata,
    createdAt: now,
    expiresAt,
    revokedAt: null,
    lastUsedAt: null,
    rotatedFromId: null,
    rotatedToId: null,
    ...(rateLimit ? { rateLimit } : {}),
  };
  await callStore(() => store.insert(record));
  return { record: toApiKeySummary(record), key };
}

/**
 * Lists keys (revoked ones only with `includeRevoked`), oldest first. Never returns hashes.
 * @example
 * for (const key of await listApiKeys(store)) console.log(key.id, key.prefix, key.permissions);
 */
export async function listApiKeys(
  store: ApiKeyStore,
  options: { includeRevoked?: boolean } = {},
): Promise<ApiKeySummary[]> {
  const records = await callStore(() => store.list({ includeRevoked: options.includeRevoked ?? false }));
  return records.map(toApiKeySummary);
}

/**
 * One key by id, or throws {@link ApiKeyManagementError} `not_found`.
 * @example
 * const summary = await getApiKey(store, 'key_4vQ…');
 */
export async function getApiKey(store: ApiKeyStore, id: string): Promise<ApiKeySummary> {
  const record =
    typeof id === 'string' && id.length <= 128 ? await callStore(() => store.findById(id)) : null;
  if (!record) throw new ApiKeyManagementError('not_found', 'No API key has this id.');
  return toApiKeySummary(record);
}

/**
 * Revokes a key (idempotent: a second call keeps the first `revokedAt`). Running verifiers learn it
 * through the store's change feed. Throws {@link ApiKeyManagementError} `not_found` for an unknown id.
 * @example
 * const revoked = await revokeApiKey(store, 'key_4vQ…'); // revoked.revokedAt is set
 */
export async function revokeApiKey(
  store: ApiKeyStore,
  id: string,
  options: { now?: Date } = {},
): Promise<ApiKeySummary> {
  await getApiKey(store, id);
  const done = await callStore(() => store.revoke(id, options.now ?? new Date()));
  if (!done) throw new ApiKeyManagementError('not_found', 'No API key has this id.');
  return getApiKey(store, id);
}

/**
 * Issues a successor with the same name, permissions, subject, metadata, prefix and expiry, and lets
 * the old key work until `now + graceSeconds` (never beyond its own expiry). Refuses (`conflict`) to
 * rotate a revoked, expired or already rotated key.
 * @example
 * const { key, previous } = await rotateApiKey(store, 'key_4vQ…', { graceSeconds: 3600 });
 */
export async function rotateApiKey(
  store: ApiKeyStore,
  id: string,
  options: RotateApiKeyOptions = {},
): Promise<IssuedApiKey & { previous: ApiKeySummary }> {
  const now = options.now ?? new Date();
  const graceSeconds = options.graceSeconds ?? 86_400;
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0 || graceSeconds > 31_536_000) {
    throw new ApiKeyManagementError(
      'invalid_input',
      'The grace period must be between 0 seconds and 365 days.',
    );
  }
  const old = await getApiKey(store, id);
  if (old.revokedAt) throw new ApiKeyManagementError('conflict', 'A revoked key cannot be rotated.');
  if (old.expiresAt && old.expiresAt.getTime() <= now.getTime()) {
    throw new ApiKeyManagementError('conflict', 'An expired key cannot be rotated.');
  }
  if (old.rotatedToId) throw new ApiKeyManagementError('conflict', 'This key has already been rotated.');
  const hasher = options.hasher ?? defaultHasher;
  const key = generateApiKey(validPrefix(old.prefix.slice(0, old.prefix.lastIndexOf('_'))));
  const next: ApiKeyRecord = {
    ...old,
    id: newApiKeyId(),
    prefix: parseApiKey(key)!.displayPrefix,
    hash: await hasher.hash(key),
    hashScheme: hasher.currentScheme,
    permissions: [...old.permissions],
    ...(old.rateLimit ? { rateLimit: old.rateLimit } : {}),
    createdAt: now,
    lastUsedAt: null,
    rotatedFromId: old.id,
    rotatedToId: null,
  };
  const graceUntil = new Date(now.getTime() + graceSeconds * 1000);
  await callStore(() => store.rotate(old.id, next, graceUntil));
  return { record: toApiKeySummary(next), key, previous: await getApiKey(store, old.id) };
}

function validPrefix(prefix: string): string {
  try {
    return assertApiKeyPrefix(prefix);
  } catch (err) {
    throw new ApiKeyManagementError('invalid_input', (err as Error).message);
  }
}

function validateRate(rate: RateLimit | string | null | undefined): string | null {
  if (rate === undefined || rate === null) return null;
  try {
    return formatRate(toRateLimit(rate));
  } catch (err) {
    throw new ApiKeyManagementError('invalid_input', (err as Error).message);
  }
}

/**
 * Sets a key's own rate limit (`'100/min'`), or clears it with null (the guard's default applies).
 * Running verifiers see the change when the store pushes it (like a revocation).
 * @example
 * await setApiKeyRateLimit(store, id, '100/min');
 */
export async function setApiKeyRateLimit(
  store: ApiKeyStore,
  id: string,
  rate: RateLimit | string | null,
): Promise<ApiKeySummary> {
  const rateLimit = validateRate(rate);
  if (!store.setRateLimit) {
    throw new ApiKeyManagementError('invalid_input', 'This API-key store cannot store rate limits.');
  }
  const found = await callStore(() => store.setRateLimit!(id, rateLimit));
  if (!found) throw new ApiKeyManagementError('not_found', 'No API key has this id.');
  return getApiKey(store, id);
}
