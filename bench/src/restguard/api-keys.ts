/**
 * API-key material for the bench: keys created through restguard's own `createApiKey` under an
 * HMAC-SHA256 pepper (scheme `hmac-sha256:bench`), in the memory, SQLite and PostgreSQL stores.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ApiKeyOptions, ApiKeyRecord, ApiKeyStore } from '@restguard/core';
import { reasonOf } from './options.js';

/** Which store a row uses. */
export type StoreKind = 'memory' | 'sqlite' | 'postgres';

/** The pepper restguard and the floor share, as restguard's option. */
export function benchPeppers(pepper: string): ApiKeyOptions['peppers'] {
  return [{ id: 'bench', secret: Buffer.from(pepper, 'base64url') }];
}

/**
 * A record from JSON (dates as ISO strings) back to an {@link ApiKeyRecord}.
 * @example
 * await store.insert(reviveRecord(JSON.parse(text)));
 */
export function reviveRecord(json: Record<string, unknown>): ApiKeyRecord {
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return {
    ...(json as unknown as ApiKeyRecord),
    createdAt: new Date(json.createdAt as string),
    expiresAt: date(json.expiresAt),
    revokedAt: date(json.revokedAt),
    lastUsedAt: date(json.lastUsedAt),
  };
}

/**
 * Opens a restguard store of `kind` (memory: empty; SQLite: a file path; PostgreSQL: a URL).
 * @example
 * const store = await openStore('sqlite', '/tmp/keys.db');
 */
export async function openStore(
  kind: StoreKind,
  location: string | null,
  schema?: string,
): Promise<ApiKeyStore> {
  if (kind === 'memory') return (await import('@restguard/core')).createMemoryApiKeyStore();
  if (!location) throw new Error(`no ${kind} location`);
  const store = await (kind === 'sqlite' ? openSqlite(location) : openPostgres(location, schema));
  await store.migrate();
  return store;
}

async function openSqlite(path: string): Promise<ApiKeyStore> {
  const mod = (await import('@restguard/store-sqlite')) as Record<string, unknown>;
  const create = mod.createSqliteApiKeyStore as ((options: { path: string }) => ApiKeyStore) | undefined;
  if (typeof create !== 'function') throw new Error('@restguard/store-sqlite has no createSqliteApiKeyStore');
  return create({ path });
}

async function openPostgres(url: string, schema?: string): Promise<ApiKeyStore> {
  const mod = (await import('@restguard/store-postgres')) as Record<string, unknown>;
  const create = mod.createPostgresApiKeyStore as
    | ((options: { connectionString: string; schema?: string }) => ApiKeyStore)
    | undefined;
  if (typeof create !== 'function')
    throw new Error('@restguard/store-postgres has no createPostgresApiKeyStore');
  return create({ connectionString: url, ...(schema ? { schema } : {}) });
}

/**
 * A schema name of its own for one run's PostgreSQL keys (dropped again by {@link dropPostgresSchema}).
 * @example
 * const schema = benchSchemaName(); // 'restguard_bench_1a2b3c4d'
 */
export function benchSchemaName(): string {
  return `restguard_bench_${randomBytes(4).toString('hex')}`;
}

/**
 * Drops a run's schema, with the `pg` driver that `@restguard/store-postgres` itself uses.
 * @example
 * await dropPostgresSchema(process.env.TEST_DATABASE_URL!, schema);
 */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  if (!/^restguard_bench_[0-9a-f]{8}$/.test(schema)) throw new Error('not a bench schema');
  const require = createRequire(import.meta.resolve('@restguard/store-postgres'));
  const { Client } = require('pg') as { Client: new (options: { connectionString: string }) => PgClient };
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

/**
 * restguard's `apiKeys` options for a store: the bench pepper and an LRU of `cacheSize` known keys.
 * `webCrypto`: hash with the portable `createWebCryptoApiKeyHasher` instead of the default (on Node.js,
 * node:crypto: the same hashes without a Web Crypto thread-pool hop).
 * @example
 * createGuard({ tls: false, apiKeys: await apiKeyOptions(store, pepper, 1000, false) });
 */
export async function apiKeyOptions(
  store: ApiKeyStore,
  pepper: string,
  cacheSize: number,
  webCrypto: boolean,
): Promise<ApiKeyOptions> {
  const cache = { maxEntries: cacheSize };
  if (!webCrypto) return { store, peppers: benchPeppers(pepper), cache };
  const { createWebCryptoApiKeyHasher } = await import('@restguard/core');
  return { store, hasher: createWebCryptoApiKeyHasher({ peppers: benchPeppers(pepper) }), cache };
}

/** Keys created in one store. */
export interface StoreKeys {
  readonly kind: StoreKind;
  /** Plain keys (bench only: restguard never keeps them). */
  readonly keys: string[];
  readonly store?: ApiKeyStore;
  /** Why the store is not usable. */
  readonly note?: string;
}

/**
 * Creates `count` keys with `read` permission in `store` via restguard's `createApiKey`. Keys for
 * the cold rows are cycled, so `count` must exceed the cache size.
 * @example
 * const keys = await fillStore(store, pepper, 5000);
 */
export async function fillStore(store: ApiKeyStore, pepper: string, count: number): Promise<string[]> {
  const core = await import('@restguard/core');
  const hasher = core.createApiKeyHasher({ peppers: benchPeppers(pepper) });
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const { key } = await core.createApiKey(store, { name: `bench-${i}`, permissions: ['read'], hasher });
    keys.push(key);
  }
  return keys;
}

/**
 * Opens and fills one store, or explains why not.
 * @example
 * const sqlite = await prepareStore('sqlite', path, pepper, 5000);
 */
export async function prepareStore(
  kind: StoreKind,
  location: string | null,
  pepper: string,
  count: number,
  schema?: string,
): Promise<StoreKeys> {
  try {
    const store = await openStore(kind, location, schema);
    return { kind, keys: await fillStore(store, pepper, count), store };
  } catch (err) {
    return { kind, keys: [], note: `not available: ${reasonOf(err)}` };
  }
}
