/**
 * An in-memory {@link ApiKeyStore} for tests and examples. Same contract as the database stores
 * (it runs the same conformance suite); nothing survives the process.
 */
import { UnavailableError } from '../errors.js';
import type { ApiKeyRecord, ApiKeyStore, ApiKeyStoreChange } from './store.js';
import { ApiKeyManagementError } from './validate.js';

function copy(record: ApiKeyRecord): ApiKeyRecord {
  const date = (value: Date | null) => (value ? new Date(value.getTime()) : null);
  return {
    ...record,
    permissions: [...record.permissions],
    metadata: structuredClone(record.metadata),
    createdAt: new Date(record.createdAt.getTime()),
    expiresAt: date(record.expiresAt),
    revokedAt: date(record.revokedAt),
    lastUsedAt: date(record.lastUsedAt),
  };
}

/**
 * Creates an empty in-memory store. After `close()` every call rejects with {@link UnavailableError},
 * which makes it handy for testing the "store down → 503" path.
 * @example
 * const store = createMemoryApiKeyStore();
 * const { key } = await createApiKey(store, { name: 'test', permissions: ['read'] });
 */
export function createMemoryApiKeyStore(): ApiKeyStore {
  const byId = new Map<string, ApiKeyRecord>();
  const byHash = new Map<string, string>();
  const listeners = new Set<(change: ApiKeyStoreChange) => void>();
  let closed = false;

  const open = () => {
    if (closed) throw new UnavailableError('The API-key store is closed.');
  };
  const notify = (change: ApiKeyStoreChange) => {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch {
        // a listener's failure never breaks a write
      }
    }
  };

  return {
    async migrate() {
      open();
    },
    async insert(record) {
      open();
      if (byId.has(record.id) || byHash.has(record.hash)) {
        throw new ApiKeyManagementError('conflict', 'An API key with this id or hash already exists.');
      }
      byId.set(record.id, copy(record));
      byHash.set(record.hash, record.id);
      notify({ id: record.id, hash: record.hash });
    },
    async findByHash(hash) {
      open();
      const id = byHash.get(hash);
      const record = id === undefined ? undefined : byId.get(id);
      return record ? copy(record) : null;
    },
    async findById(id) {
      open();
      const record = byId.get(id);
      return record ? copy(record) : null;
    },
    async list(options = {}) {
      open();
      return [...byId.values()]
        .filter((record) => options.includeRevoked || record.revokedAt === null)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
        .map(copy);
    },
    async revoke(id, at) {
      open();
      const record = byId.get(id);
      if (!record) return false;
      if (record.revokedAt === null) record.revokedAt = new Date(at.getTime());
      notify({ id, hash: record.hash });
      return true;
    },
    async setRateLimit(id, rateLimit) {
      open();
      const record = byId.get(id);
      if (!record) return false;
      record.rateLimit = rateLimit;
      notify({ id, hash: record.hash });
      return true;
    },
    async rotate(oldId, next, graceUntil) {
      open();
      const old = byId.get(oldId);
      if (!old) throw new ApiKeyManagementError('not_found', 'No API key has this id.');
      if (old.revokedAt || old.rotatedToId) {
        throw new ApiKeyManagementError('conflict', 'A revoked or already rotated key cannot be rotated.');
      }
      if (byId.has(next.id) || byHash.has(next.hash)) {
        throw new ApiKeyManagementError('conflict', 'An API key with this id or hash already exists.');
      }
      const stored = copy({ ...next, rotatedFromId: oldId });
      byId.set(stored.id, stored);
      byHash.set(stored.hash, stored.id);
      old.rotatedToId = stored.id;
      if (old.expiresAt === null || old.expiresAt.getTime() > graceUntil.getTime()) {
        old.expiresAt = new Date(graceUntil.getTime());
      }
      notify({ id: oldId, hash: old.hash });
      notify({ id: stored.id, hash: stored.hash });
    },
    async touch(entries) {
      open();
      for (const { id, lastUsedAt } of entries) {
        const record = byId.get(id);
        if (record && (record.lastUsedAt === null || record.lastUsedAt.getTime() < lastUsedAt.getTime())) {
          record.lastUsedAt = new Date(lastUsedAt.getTime());
        }
      }
    },
    async rehash(id, hash, hashScheme) {
      open();
      const record = byId.get(id);
      if (!record || record.hash === hash) return;
      if (byHash.has(hash))
        throw new ApiKeyManagementError('conflict', 'An API key with this hash already exists.');
      byHash.delete(record.hash);
      const old = record.hash;
      record.hash = hash;
      record.hashScheme = hashScheme;
      byHash.set(hash, id);
      notify({ id, hash: old });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      closed = true;
      listeners.clear();
    },
  };
}
