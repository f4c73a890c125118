/**
 * The API-key store interface: one interface in core, implemented by the memory store (tests),
 * `@restguard/store-sqlite` (embedded default) and `@restguard/store-postgres` (many instances).
 * A store keeps hashes only, never a key. Lookup is by hash through an index, never a scan.
 *
 * Error contract, for every implementation: an unreachable or failing database rejects with
 * `UnavailableError` (503, never a pass); a write that the data forbids (unknown id, a duplicate id or
 * hash, rotating a revoked or already rotated key) rejects with `ApiKeyManagementError` and writes
 * nothing. Records come back as fresh objects (mutating one never changes the store).
 */

/** A stored API key. `hash` and `hashScheme` never leave the server. */
export interface ApiKeyRecord {
  /** Opaque id, e.g. `key_01J…` (safe to show, used by the CLI). */
  id: string;
  name: string;
  /** Display prefix, e.g. `rg_live_Ab3x`: the key's prefix plus its first characters. */
  prefix: string;
  /** base64url hash of the whole key under `hashScheme`. */
  hash: string;
  /** Versioned scheme: `sha256` or `hmac-sha256:<pepperId>`. */
  hashScheme: string;
  permissions: string[];
  /** Owner / principal subject behind the key, if any. */
  subject: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** Rotation links. */
  rotatedFromId: string | null;
  rotatedToId: string | null;
  /** The key's own rate limit (`100/min`, see `parseRate`); null or absent: the guard's default. */
  rateLimit?: string | null;
}

/** A change another process made, pushed to subscribers so caches drop it (LISTEN/NOTIFY, polling). */
export interface ApiKeyStoreChange {
  /** The record that changed (revoked, rotated, deleted). */
  id: string;
  /** Its hash, when known, so a cache keyed by hash can drop it without a lookup. */
  hash?: string;
  /**
   * True when the store may have missed changes (its listener reconnected, its change log was pruned):
   * caches drop everything. `id` is then `*`.
   */
  reset?: boolean;
}

/** What every API-key store implements. */
export interface ApiKeyStore {
  /** Creates or upgrades the schema (versioned migrations). Idempotent. */
  migrate(): Promise<void>;
  /** Stores a new record (`ApiKeyManagementError` `conflict` for a duplicate id or hash). */
  insert(record: ApiKeyRecord): Promise<void>;
  /** The record with this hash (revoked or expired ones included: the verifier decides), or null. */
  findByHash(hash: string): Promise<ApiKeyRecord | null>;
  /** The record with this id, or null. */
  findById(id: string): Promise<ApiKeyRecord | null>;
  /** The records; revoked ones only with `includeRevoked`. */
  list(options?: { includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  /** Sets `revokedAt` (once: a second call keeps the first); false when no such key. Notifies subscribers. */
  revoke(id: string, at: Date): Promise<boolean>;
  /**
   * Atomically: inserts `next` (with `rotatedFromId = oldId`), links the old record
   * (`rotatedToId = next.id`) and caps its `expiresAt` at `graceUntil`. Notifies subscribers.
   * Rejects with `ApiKeyManagementError` (`not_found`, or `conflict` when the old key is revoked or
   * already rotated, checked inside the same transaction) and then writes nothing.
   */
  rotate(oldId: string, next: ApiKeyRecord, graceUntil: Date): Promise<void>;
  /** Batch write-behind of `lastUsedAt`: only ever moves it forward; unknown ids are ignored. */
  touch(entries: ReadonlyArray<{ id: string; lastUsedAt: Date }>): Promise<void>;
  /** Re-hashes a record under a new scheme (pepper introduced or rotated). */
  rehash(id: string, hash: string, hashScheme: string): Promise<void>;
  /** Changes made by other processes (or this one). Returns an unsubscribe function. */
  subscribe(listener: (change: ApiKeyStoreChange) => void): () => void;
  /**
   * Sets (or, with null, clears) a key's own rate limit; false when no key has this id. Optional for
   * stores written before rate limits (schema version 4 of the SQL stores).
   */
  setRateLimit?(id: string, rateLimit: string | null): Promise<boolean>;
  /** Releases the store's connections and listeners. */
  close(): Promise<void>;
}
