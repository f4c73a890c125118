/**
 * Store support: the rules every API-key and client-certificate store shares, written once for the
 * memory store here and the SQL stores (`@restguard/store-sqlite`, `@restguard/store-postgres`). A
 * store keeps only its SQL and its connection handling; how failures become errors, how changes reach
 * subscribers, when a key may be rotated and how a row becomes a record live here. For store authors:
 * see `packages/core/docs/api-keys.md` ("Writing a store").
 */
import type { ApiKeyRecord, ApiKeyStoreChange } from './api-key/store.js';
import { ApiKeyManagementError } from './api-key/validate.js';
import type { ClientCertificateMatch, ClientCertificateRule } from './client-certificate/store.js';
import { isRestguardError, type RestguardError, UnavailableError } from './errors.js';

/**
 * A subscriber of an API-key store's change feed.
 * @example
 * const listeners = new Set<ApiKeyStoreListener>();
 */
export type ApiKeyStoreListener = (change: ApiKeyStoreChange) => void;

/**
 * The error for a write whose id or hash is already stored (`ApiKeyManagementError` `conflict`).
 * @example
 * if (byHash.has(record.hash)) throw duplicateApiKeyError();
 */
export function duplicateApiKeyError(cause?: unknown): ApiKeyManagementError {
  return new ApiKeyManagementError(
    'conflict',
    'An API key with this id or hash already exists.',
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The error every call of a closed store rejects with (`UnavailableError`, 503).
 * @example
 * if (closed) throw apiKeyStoreClosedError();
 */
export function apiKeyStoreClosedError(): UnavailableError {
  return new UnavailableError('The API-key store is closed.');
}

/**
 * What a failed store call rejects with: a restguard error as it is; a database error that
 * `isDuplicate` recognises (a unique-constraint violation) as {@link duplicateApiKeyError}; anything
 * else as `UnavailableError` (503, never a pass), with the original as `cause`.
 * @example
 * try { return work() } catch (err) { throw apiKeyStoreError(err, (code) => code.startsWith('23')) }
 */
export function apiKeyStoreError(err: unknown, isDuplicate?: (code: string) => boolean): RestguardError {
  if (isRestguardError(err)) return err;
  const code = databaseErrorCode(err);
  if (isDuplicate && code !== undefined && isDuplicate(code)) return duplicateApiKeyError(err);
  return new UnavailableError('The API-key store is unavailable.', { cause: err });
}

/**
 * Tells every subscriber of a store about a change, in subscription order. A listener that throws is
 * skipped: a listener's failure never breaks the store or the write that caused the change.
 * @example
 * const listeners = new Set<ApiKeyStoreListener>();
 * notifyApiKeyListeners(listeners, { id: record.id, hash: record.hash });
 */
export function notifyApiKeyListeners(
  listeners: ReadonlySet<ApiKeyStoreListener>,
  change: ApiKeyStoreChange,
): void {
  for (const listener of [...listeners]) {
    try {
      listener(change);
    } catch {
      // a listener's failure never breaks the store
    }
  }
}

/**
 * The rotation rule of `ApiKeyStore.rotate`, checked inside the store's transaction: the old key
 * must exist (`not_found`) and be neither revoked nor already rotated (`conflict`).
 * @example
 * assertApiKeyRotatable(row && { revoked: row.revoked_at !== null, rotated: row.rotated_to_id !== null });
 */
export function assertApiKeyRotatable(old: { revoked: boolean; rotated: boolean } | null | undefined): void {
  if (!old) throw new ApiKeyManagementError('not_found', 'No API key has this id.');
  if (old.revoked || old.rotated) {
    throw new ApiKeyManagementError('conflict', 'A revoked or already rotated key cannot be rotated.');
  }
}

/**
 * Tells subscribers about a rotation: the old key (its expiry changed), then its successor.
 * @example
 * notifyApiKeyRotation(listeners, { id: oldId, hash: old.hash }, next);
 */
export function notifyApiKeyRotation(
  listeners: ReadonlySet<ApiKeyStoreListener>,
  old: { id: string; hash: string },
  next: { id: string; hash: string },
): void {
  notifyApiKeyListeners(listeners, { id: old.id, hash: old.hash });
  notifyApiKeyListeners(listeners, { id: next.id, hash: next.hash });
}

/**
 * The columns of an API-key row (the SQL stores' names), with dates, permissions and metadata
 * already decoded by the store's driver or the store.
 * @example
 * const { rows } = await pool.query<ApiKeyColumns>('SELECT * FROM restguard.api_keys WHERE id = $1', [id]);
 */
export interface ApiKeyColumns {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  hash_scheme: string;
  permissions: readonly string[];
  subject: string | null;
  metadata: Record<string, unknown> | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  rotated_from_id: string | null;
  rotated_to_id: string | null;
  /** Schema version 4; null: the guard's default. */
  rate_limit: string | null;
}

/**
 * Row → {@link ApiKeyRecord} (a fresh permissions array; no `rateLimit` member when the row has none).
 * @example
 * const record = apiKeyRecordFromColumns((await pool.query(sql, [hash])).rows[0]);
 */
export function apiKeyRecordFromColumns(row: ApiKeyColumns): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    hashScheme: row.hash_scheme,
    permissions: [...row.permissions],
    subject: row.subject,
    metadata: row.metadata ?? {},
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    rotatedFromId: row.rotated_from_id,
    rotatedToId: row.rotated_to_id,
    ...(row.rate_limit ? { rateLimit: row.rate_limit } : {}),
  };
}

/**
 * The columns of a client-certificate rule row, decoded (see {@link clientCertificateRuleFromColumns}).
 * @example
 * const { rows } = await pool.query<ClientCertificateColumns>('SELECT * FROM restguard.client_certificates');
 */
export interface ClientCertificateColumns {
  id: string;
  name: string;
  match: ClientCertificateMatch;
  value: string;
  permissions: readonly string[];
  created_at: Date;
  revoked_at: Date | null;
}

/**
 * Row → {@link ClientCertificateRule} (a fresh permissions array).
 * @example
 * const rules = rows.map(clientCertificateRuleFromColumns);
 */
export function clientCertificateRuleFromColumns(row: ClientCertificateColumns): ClientCertificateRule {
  return {
    id: row.id,
    name: row.name,
    match: row.match,
    value: row.value,
    permissions: [...row.permissions],
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * What a failed client-certificate store call rejects with: a plain `Error` when the write broke the
 * one-active-rule-per-certificate (or unique id) constraint, else `UnavailableError` (503).
 * @example
 * try { insert(rule) } catch (err) { throw clientCertificateStoreError(err, isUniqueViolation(err)) }
 */
export function clientCertificateStoreError(err: unknown, duplicate: boolean): Error {
  if (duplicate) {
    return new Error('An active rule already allows this certificate (or the id exists).', { cause: err });
  }
  return new UnavailableError('The client-certificate store is unavailable.', { cause: err });
}

/**
 * The driver's error code of `err` (`SQLITE_CONSTRAINT_UNIQUE`, `23505`, …), if it has one.
 * @example
 * databaseErrorCode(err)?.startsWith('SQLITE_CONSTRAINT');
 */
export function databaseErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}
