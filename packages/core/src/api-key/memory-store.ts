/**
 * An in-memory {@link ApiKeyStore} for tests and examples. Same contract as the database stores
 * (it runs the same conformance suite); nothing survives the process.
 */
import type { UnavailableError } from '../errors.js';
import {
  type ApiKeyStoreListener,
  apiKeyStoreClosedError,
  assertApiKeyRotatable,
  duplicateApiKeyError,
  notifyApiKeyListeners,
  notifyApiKeyRotation,
} from '../store-support.js';
import type { ApiKeyRecord, ApiKeyStore } from './store.js';
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

/** The state of one memory store, shared by its operations. */
interface MemoryState {
  byId: Map<string, ApiKeyRecord>;
  byHash: Map<string, string>;
  listeners: Set<ApiKeyStoreListener>;
  closed: boolean;
}

function assertOpen(state: MemoryState): void {
  if (state.closed) throw apiKeyStoreClosedError();
}

function insertRecord(state: MemoryState, record: ApiKeyRecord): void {
  if (state.byId.has(record.id) || state.byHash.has(record.hash)) throw duplicateApiKeyError();
  state.byId.set(record.id, copy(record));
  state.byHash.set(record.hash, record.id);
}

function listRecords(state: MemoryState, includeRevoked: boolean | undefined): ApiKeyRecord[] {
  return [...state.byId.values()]
    .filter((record) => includeRevoked || record.revokedAt === null)
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
    .map(copy);
}

/** Applies `change` to the record with this id and notifies; false when there is none. */
function updateRecord(state: MemoryState, id: string, change: (record: ApiKeyRecord) => void): boolean {
  const record = state.byId.get(id);
  if (!record) return false;
  change(record);
  notifyApiKeyListeners(state.listeners, { id, hash: record.hash });
  return true;
}

function rotateRecord(state: MemoryState, oldId: string, next: ApiKeyRecord, graceUntil: Date): void {
  const old = state.byId.get(oldId);
  assertApiKeyRotatable(old && { revoked: Boolean(old.revokedAt), rotated: Boolean(old.rotatedToId) });
  const stored = { ...next, rotatedFromId: oldId };
  insertRecord(state, stored);
  old!.rotatedToId = stored.id;
  if (old!.expiresAt === null || old!.expiresAt.getTime() > graceUntil.getTime()) {
    old!.expiresAt = new Date(graceUntil.getTime());
  }
  notifyApiKeyRotation(state.listeners, old!, stored);
}

function touchRecords(state: MemoryState, entries: ReadonlyArray<{ id: string; lastUsedAt: Date }>): void {
  for (const { id, lastUsedAt } of entries) {
    const record = state.byId.get(id);
    if (record && (record.lastUsedAt === null || record.lastUsedAt.getTime() < lastUsedAt.getTime())) {
      record.lastUsedAt = new Date(lastUsedAt.getTime());
    }
  }
}

function rehashRecord(state: MemoryState, id: string, hash: string, hashScheme: string): void {
  const record = state.byId.get(id);
  if (!record || record.hash === hash) return;
  if (state.byHash.has(hash))
    throw new ApiKeyManagementError('conflict', 'An API key with this hash already exists.');
  state.byHash.delete(record.hash);
  const old = record.hash;
  record.hash = hash;
  record.hashScheme = hashScheme;
  state.byHash.set(hash, id);
  notifyApiKeyListeners(state.listeners, { id, hash: old });
}

/**
 * Creates an empty in-memory store. After `close()` every call rejects with {@link UnavailableError},
 * which makes it handy for testing the "store down → 503" path.
 * @example
 * const store = createMemoryApiKeyStore();
 * const { key } = await createApiKey(store, { name: 'test', permissions: ['read'] });
 */
export function createMemoryApiKeyStore(): ApiKeyStore {
  const state: MemoryState = { byId: new Map(), byHash: new Map(), listeners: new Set(), closed: false };
  /** Runs an operation on the open store, as a promise (a closed store rejects). */
  const open = async <T>(operation: () => T): Promise<T> => {
    assertOpen(state);
    return operation();
  };
  return {
    migrate: () => open(() => undefined),
    insert: (record) =>
      open(() => {
        insertRecord(state, record);
        notifyApiKeyListeners(state.listeners, { id: record.id, hash: record.hash });
      }),
    findByHash: (hash) =>
      open(() => {
        const id = state.byHash.get(hash);
        const record = id === undefined ? undefined : state.byId.get(id);
        return record ? copy(record) : null;
      }),
    findById: (id) =>
      open(() => {
        const record = state.byId.get(id);
        return record ? copy(record) : null;
      }),
    list: (options = {}) => open(() => listRecords(state, options.includeRevoked)),
    revoke: (id, at) =>
      open(() =>
        updateRecord(state, id, (record) => {
          if (record.revokedAt === null) record.revokedAt = new Date(at.getTime());
        }),
      ),
    setRateLimit: (id, rateLimit) =>
      open(() =>
        updateRecord(state, id, (record) => {
          record.rateLimit = rateLimit;
        }),
      ),
    rotate: (oldId, next, graceUntil) => open(() => rotateRecord(state, oldId, next, graceUntil)),
    touch: (entries) => open(() => touchRecords(state, entries)),
    rehash: (id, hash, hashScheme) => open(() => rehashRecord(state, id, hash, hashScheme)),
    subscribe(listener) {
      state.listeners.add(listener);
      return () => {
        state.listeners.delete(listener);
      };
    },
    async close() {
      state.closed = true;
      state.listeners.clear();
    },
  };
}
