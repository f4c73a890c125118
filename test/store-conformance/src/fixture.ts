/** The harness a store package hands to {@link describeStoreConformance}, and shared test helpers. */
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  generateApiKey,
  hashApiKey,
  newApiKeyId,
  parseApiKey,
} from '@restguard/core';

/** How a child process opens the same database: `import(module)[factory](options)`. JSON only. */
export interface ChildStoreSpec {
  /** Absolute path of the store package's built entry (`dist/index.js`). */
  module: string;
  /** The exported factory, e.g. `createSqliteApiKeyStore`. */
  factory: string;
  /** Its options (path, connection string, schema). */
  options: Record<string, unknown>;
}

/** One fresh, empty database and the ways to reach it. */
export interface StoreFixture {
  /** A store on a fresh, empty database, not migrated yet. */
  store: ApiKeyStore;
  /** Opens a second store (another instance) on the same database. Absent for the memory store. */
  openAnother?: () => ApiKeyStore;
  /** How a second process opens the same database. Absent for the memory store. */
  child?: ChildStoreSpec;
  /** Drops the database (files, schema). */
  destroy?: () => Promise<void>;
}

/** Bounds from the contract. */
export interface StoreConformanceOptions {
  /** A revocation by another instance or process must reach subscribers within this many ms. */
  revocationBoundMs: number;
  /** True when other instances and processes can open the same database (`openAnother`, `child`). */
  shared: boolean;
}

/** A fresh fixture per test. */
export type StoreFactory = () => Promise<StoreFixture>;

/** A complete record with a real key, for store-level tests. */
export async function makeRecord(
  overrides: Partial<ApiKeyRecord> = {},
): Promise<{ record: ApiKeyRecord; key: string }> {
  const key = generateApiKey('rg_test');
  const record: ApiKeyRecord = {
    id: newApiKeyId(),
    name: 'conformance',
    prefix: parseApiKey(key)!.displayPrefix,
    hash: await hashApiKey(key),
    hashScheme: 'sha256',
    permissions: ['read', 'write'],
    subject: 'user:1',
    metadata: { team: 'billing', nested: { level: 2, list: [1, 'two', null] } },
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
    expiresAt: new Date('2099-01-01T00:00:00.000Z'),
    revokedAt: null,
    lastUsedAt: null,
    rotatedFromId: null,
    rotatedToId: null,
    ...overrides,
  };
  return { record, key };
}
