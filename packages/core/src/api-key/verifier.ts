/**
 * The API-key verifier the guard uses: format and checksum first (no store access for a mistyped or
 * foreign value), then a bounded cache, then the store by hash (current scheme, then older ones, with
 * re-hashing to the current scheme), then expiry and revocation. Store failures are 503, never a pass.
 * Caches drop entries pushed by `store.subscribe` (another process's revocation), and `lastUsedAt` is
 * written behind in batches.
 */
import { ApiKeyInvalidError, ConfigInvalidError, UnavailableError } from '../errors.js';
import { optionKeys } from '../options-check.js';
import { freezePrincipal, type Principal } from '../principal.js';
import { retainedSize } from '../retained-size.js';
import { createLruCache, type LruCache } from './cache.js';
import { assertApiKeyPrefix, DEFAULT_API_KEY_PREFIX, isApiKeyFormat, parseApiKey } from './format.js';
import { type ApiKeyHasher, type ApiKeyPepper, createApiKeyHasher, timingSafeEqualString } from './hash.js';
import { callStore, toApiKeyInfo } from './manage.js';
import type { ApiKeyRecord, ApiKeyStore } from './store.js';

/** A known key and its principal (frozen: the requests using the key share it). */
interface Known {
  readonly record: ApiKeyRecord;
  readonly principal: Principal;
}

/** A cache entry's own objects and its slot in the `Map`, beside what `retainedSize` counts. */
const ENTRY_OVERHEAD = 96;

/** Cache bounds. Every cache is bounded in entries and age. */
export interface ApiKeyCacheOptions {
  /** Known keys kept, LRU. Default 10,000. */
  maxEntries?: number;
  /**
   * Bytes the known keys' entries may retain: hash, record (metadata included) and principal,
   * estimated for a 64-bit heap, erring high. Default 16 MiB.
   */
  maxBytes?: number;
  /** Age of a known key's entry, in seconds. Default 60 (changes are also pushed by the store). */
  ttlSeconds?: number;
  /** Unknown hashes remembered, LRU. Default 10,000. */
  negativeMaxEntries?: number;
  /** Age of an unknown hash's entry, in seconds. Default 30. */
  negativeTtlSeconds?: number;
}

/**
 * Options for restguard API keys.
 * @example
 * const apiKeys: ApiKeyOptions = { store, prefixes: ['rg_live'], cache: { maxEntries: 5000 } };
 */
export interface ApiKeyOptions {
  /** Where the hashed keys live (`createMemoryApiKeyStore`, `@restguard/store-sqlite`, `-postgres`). */
  store: ApiKeyStore;
  /** Accepted prefixes. Default `['rg_live']`. A key with another prefix is refused without a lookup. */
  prefixes?: readonly string[];
  /** Shorthand for a single accepted prefix (`prefixes: [prefix]`). */
  prefix?: string;
  /** HMAC peppers, newest first (see `createApiKeyHasher`). Or pass a `hasher`. */
  peppers?: readonly ApiKeyPepper[];
  /** A hasher shared with key creation. Default: from `peppers`, else `sha256`. */
  hasher?: ApiKeyHasher;
  /**
   * The hash schemes a lookup still tries, to retire old ones (default: every scheme of the hasher —
   * current pepper, older peppers, then unpeppered `sha256`). Each is `sha256` or `hmac-sha256:<id>`
   * and must include the current scheme. With peppers, every random well-formed key costs one store
   * lookup per accepted scheme (then the negative cache answers); list only the current one once
   * `restguard keys list` shows no record left under the others: a record under a retired scheme is
   * refused. Records under an accepted older scheme move to the current one on first use.
   */
  acceptedSchemes?: readonly string[];
  /** Cache bounds, or `false` for no cache (every request hits the store). */
  cache?: ApiKeyCacheOptions | false;
  /** How often `lastUsedAt` is written, in seconds. Default 30. Always flushed by `close()`. */
  lastUsedFlushSeconds?: number;
  /** The clock, for tests. Default `() => new Date()`. */
  now?: () => Date;
}

/** The schemes lookups try: `accepted` checked against the hasher's, in the hasher's order. */
function acceptedSchemesOf(hasher: ApiKeyHasher, accepted: readonly string[] | undefined): readonly string[] {
  if (accepted === undefined) return hasher.schemes;
  if (!Array.isArray(accepted) || accepted.length === 0) {
    throw new ConfigInvalidError('apiKeys.acceptedSchemes must list at least the current scheme.');
  }
  for (const scheme of accepted) {
    if (!hasher.schemes.includes(scheme)) {
      throw new ConfigInvalidError(
        `apiKeys.acceptedSchemes: unknown scheme "${scheme}" (known: ${hasher.schemes.join(', ')}).`,
      );
    }
  }
  if (!accepted.includes(hasher.currentScheme)) {
    throw new ConfigInvalidError(
      `apiKeys.acceptedSchemes must include the current scheme "${hasher.currentScheme}".`,
    );
  }
  return hasher.schemes.filter((scheme) => accepted.includes(scheme));
}

/** Every key of {@link ApiKeyOptions}; anything else is refused at start-up. */
export const API_KEY_OPTION_KEYS = optionKeys<ApiKeyOptions>({
  store: true,
  prefixes: true,
  prefix: true,
  peppers: true,
  hasher: true,
  acceptedSchemes: true,
  cache: true,
  lastUsedFlushSeconds: true,
  now: true,
});

/** Every key of {@link ApiKeyCacheOptions}; anything else is refused at start-up. */
export const API_KEY_CACHE_OPTION_KEYS = optionKeys<ApiKeyCacheOptions>({
  maxEntries: true,
  maxBytes: true,
  ttlSeconds: true,
  negativeMaxEntries: true,
  negativeTtlSeconds: true,
});

/** Sizes of the verifier's caches and write-behind buffer. */
export interface ApiKeyCacheStats {
  entries: number;
  /** Bytes the known keys' entries retain (estimated), bounded by `cache.maxBytes`. */
  bytes: number;
  negativeEntries: number;
  /** Bytes the unknown hashes' entries retain (estimated). */
  negativeBytes: number;
  pendingLastUsed: number;
}

/** Checks API keys against a store. */
export interface ApiKeyVerifier {
  /** True when the value has a configured API-key prefix (tells a key apart from a JWT). */
  isApiKey(value: string): boolean;
  /** The key's principal (kind `apiKey`, scopes = permissions), or throws a restguard error. */
  verify(key: string): Promise<Principal>;
  /** A key seen over plain HTTP: which record it is, and (when `revoke`) revoke it. */
  exposed(key: string, revoke: boolean): Promise<{ id: string; revoked: boolean } | null>;
  /** Flushes write-behind `lastUsedAt` and releases the store subscription. */
  close(): Promise<void>;
  /** Cache sizes, for metrics and tests. */
  stats(): ApiKeyCacheStats;
  /** Writes pending `lastUsedAt` values now. */
  flush(): Promise<void>;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  const out = value ?? fallback;
  if (!Number.isFinite(out) || out < 0)
    throw new ConfigInvalidError(`apiKeys.${name} must be a non-negative number.`);
  return out;
}

/** What a verifier is made of: built once from its options, shared by every request. */
interface VerifierParts {
  readonly store: ApiKeyStore;
  readonly prefixes: readonly string[];
  readonly hasher: ApiKeyHasher;
  /** The hash schemes lookups try, current first. */
  readonly schemes: readonly string[];
  readonly now: () => Date;
  /** The clock in milliseconds (`now` when given, else `Date.now`). */
  readonly clock: () => number;
  /** Known keys by hash. */
  readonly known: LruCache<string, Known>;
  /** Hashes the store does not know. */
  readonly unknown: LruCache<string, true>;
  /** Store lookups under way, by hash. */
  readonly inflight: Map<string, Promise<Known | null>>;
  /** `lastUsedAt` (ms) by key id, written behind. */
  readonly pending: Map<string, number>;
  /** Bumped by every pushed change: a lookup that started before one does not fill the caches. */
  generation: number;
  closed: boolean;
}

/**
 * Builds the verifier. Throws {@link ConfigInvalidError} for bad options.
 * @example
 * const verifier = createApiKeyVerifier({ store: createMemoryApiKeyStore(), prefixes: ['rg_live'] });
 * const principal = await verifier.verify(key); // principal.scopes: Set { 'read' }
 */
export function createApiKeyVerifier(options: ApiKeyOptions): ApiKeyVerifier {
  const parts = verifierParts(options);
  const flushMs = nonNegative(options.lastUsedFlushSeconds, 30, 'lastUsedFlushSeconds') * 1000;
  const { known, unknown } = parts;
  const unsubscribe = parts.store.subscribe((change) => {
    parts.generation++;
    unknown.clear();
    if (change.reset) known.clear();
    else known.deleteWhere(({ record }, hash) => record.id === change.id || hash === change.hash);
  });
  const flush = () => flushLastUsed(parts);
  const timer = flushMs > 0 ? setInterval(() => void flush(), flushMs) : undefined;
  (timer as { unref?: () => void } | undefined)?.unref?.();
  return {
    isApiKey: (value) => isApiKeyFormat(value, parts.prefixes),
    verify: (key) => verifyApiKey(parts, key),
    exposed: (key, revoke) => exposedApiKey(parts, key, revoke),
    async close() {
      if (parts.closed) return;
      parts.closed = true;
      if (timer) clearInterval(timer);
      unsubscribe();
      await flush();
    },
    stats: () => ({
      entries: known.size,
      bytes: known.bytes,
      negativeEntries: unknown.size,
      negativeBytes: unknown.bytes,
      pendingLastUsed: parts.pending.size,
    }),
    flush,
  };
}

/** Options → parts: the store, prefixes and hasher checked, the caches sized. */
function verifierParts(options: ApiKeyOptions): VerifierParts {
  const store = options?.store;
  if (!store || typeof store.findByHash !== 'function')
    throw new ConfigInvalidError('apiKeys.store is required.');
  if (options.prefix !== undefined && options.prefixes !== undefined) {
    throw new ConfigInvalidError('Give apiKeys.prefix or apiKeys.prefixes, not both.');
  }
  const prefixes = options.prefixes ?? [options.prefix ?? DEFAULT_API_KEY_PREFIX];
  if (prefixes.length === 0) throw new ConfigInvalidError('apiKeys.prefixes must not be empty.');
  for (const prefix of prefixes) assertApiKeyPrefix(prefix);
  if (options.hasher && options.peppers)
    throw new ConfigInvalidError('Give apiKeys.hasher or apiKeys.peppers, not both.');
  const hasher = options.hasher ?? createApiKeyHasher({ peppers: options.peppers ?? [] });
  const schemes = acceptedSchemesOf(hasher, options.acceptedSchemes);
  const clock = options.now ? () => options.now!().getTime() : Date.now;
  const { known, unknown } = createCaches(options.cache, clock);
  return {
    store,
    prefixes,
    hasher,
    schemes,
    now: options.now ?? (() => new Date()),
    clock,
    known,
    unknown,
    inflight: new Map(),
    pending: new Map(),
    generation: 0,
    closed: false,
  };
}

/** The known-key and unknown-hash caches, bounded by the `cache` option (`false`: no cache). */
function createCaches(
  cache: ApiKeyOptions['cache'],
  clock: () => number,
): Pick<VerifierParts, 'known' | 'unknown'> {
  const bounds = cache === false ? { maxEntries: 0, negativeMaxEntries: 0 } : (cache ?? {});
  const known = createLruCache<string, Known>({
    maxEntries: nonNegative(bounds.maxEntries, 10_000, 'cache.maxEntries'),
    ttlMs: nonNegative(bounds.ttlSeconds, 60, 'cache.ttlSeconds') * 1000,
    now: clock,
    sizeOf: (hash, entry) => ENTRY_OVERHEAD + retainedSize(hash) + retainedSize(entry),
    maxBytes: nonNegative(bounds.maxBytes, 16 * 1024 * 1024, 'cache.maxBytes'),
  });
  const unknown = createLruCache<string, true>({
    maxEntries: nonNegative(bounds.negativeMaxEntries, 10_000, 'cache.negativeMaxEntries'),
    ttlMs: nonNegative(bounds.negativeTtlSeconds, 30, 'cache.negativeTtlSeconds') * 1000,
    now: clock,
    sizeOf: (hash) => ENTRY_OVERHEAD + retainedSize(hash),
  });
  return { known, unknown };
}

/** `verifier.verify`: format, cache or store, then expiry and revocation; notes `lastUsedAt`. */
async function verifyApiKey(parts: VerifierParts, key: string): Promise<Principal> {
  if (parts.closed) throw new UnavailableError('The API-key verifier is closed.');
  if (!accepts(parts, key)) throw new ApiKeyInvalidError();
  // A synchronous hasher (node:crypto) answers a cached key without a promise.
  const hash = parts.hasher.hashSync?.(key);
  const hit = hash === undefined ? undefined : fromCache(parts, hash);
  const found = hit !== undefined ? hit : await lookup(parts, key, hash);
  const at = parts.clock();
  if (!found || found.record.revokedAt) throw new ApiKeyInvalidError();
  const { record } = found;
  if (record.expiresAt && record.expiresAt.getTime() <= at) {
    throw new ApiKeyInvalidError('The API key has expired.');
  }
  parts.pending.set(record.id, at);
  if (parts.pending.size >= 1000) void flushLastUsed(parts);
  return found.principal;
}

/** `verifier.exposed`: which record a key seen over plain HTTP is, revoked when `revoke`. */
async function exposedApiKey(
  parts: VerifierParts,
  key: string,
  revoke: boolean,
): Promise<{ id: string; revoked: boolean } | null> {
  if (!accepts(parts, key)) return null;
  let record: ApiKeyRecord | undefined;
  try {
    record = (await lookup(parts, key))?.record;
  } catch {
    return null;
  }
  if (!record) return null;
  if (!revoke || record.revokedAt) return { id: record.id, revoked: record.revokedAt !== null };
  try {
    const revoked = await parts.store.revoke(record.id, parts.now());
    parts.known.deleteWhere((entry) => entry.record.id === record.id);
    return { id: record.id, revoked };
  } catch {
    return { id: record.id, revoked: false };
  }
}

/** A well-formed key with one of the accepted prefixes. */
function accepts(parts: VerifierParts, key: string): boolean {
  const parsed = parseApiKey(key);
  return parsed !== null && parts.prefixes.includes(parsed.prefix);
}

/** The principal of a record, shared by every request with the key: immutable all the way down, dates copied. */
function principalOf(record: ApiKeyRecord): Principal {
  return freezePrincipal({
    kind: 'apiKey',
    subject: record.subject ?? `apikey:${record.id}`,
    scopes: new Set(record.permissions),
    apiKey: toApiKeyInfo(record),
  });
}

/** The record of a key by hash, trying each accepted scheme; an older scheme's record is re-hashed. */
async function findRecord(
  parts: VerifierParts,
  key: string,
  currentHash: string,
): Promise<ApiKeyRecord | null> {
  const { hasher, store } = parts;
  for (const scheme of parts.schemes) {
    const current = scheme === hasher.currentScheme;
    const hash = current ? currentHash : await hasher.hash(key, scheme);
    const record = await callStore(() => store.findByHash(hash));
    if (!record || record.hashScheme !== scheme || !timingSafeEqualString(record.hash, hash)) continue;
    if (current) return record;
    // Upgrade to the current scheme (once per key); a failure only means we try again next time.
    await store.rehash(record.id, currentHash, hasher.currentScheme).catch(() => {});
    return { ...record, hash: currentHash, hashScheme: hasher.currentScheme };
  }
  return null;
}

/** One store lookup per hash however many requests wait for it; its answer goes to the caches. */
async function findAndRemember(parts: VerifierParts, key: string, hash: string): Promise<Known | null> {
  const started = parts.generation;
  try {
    const record = await findRecord(parts, key, hash);
    // Built before it is cached, so the cache counts the principal it keeps.
    const found = record ? { record, principal: principalOf(record) } : null;
    if (parts.generation === started) {
      if (found) parts.known.set(hash, found);
      else parts.unknown.set(hash, true);
    }
    return found;
  } finally {
    parts.inflight.delete(hash);
  }
}

/** The cached answer for a hash: a known key, null (known unknown), or undefined (ask the store). */
function fromCache(parts: VerifierParts, hash: string): Known | null | undefined {
  const cached = parts.known.get(hash);
  if (cached) return cached;
  return parts.unknown.get(hash) ? null : undefined;
}

/** A key's answer from the caches, else from the store (one lookup per hash at a time). */
async function lookup(parts: VerifierParts, key: string, knownHash?: string): Promise<Known | null> {
  const hash = knownHash ?? (await parts.hasher.hash(key));
  const cached = fromCache(parts, hash);
  if (cached !== undefined) return cached;
  let running = parts.inflight.get(hash);
  if (!running) {
    running = findAndRemember(parts, key, hash); // settles after this set: it awaits the store first
    parts.inflight.set(hash, running);
  }
  return running;
}

/** Writes the pending `lastUsedAt` values; on failure they stay pending (a newer one wins). */
async function flushLastUsed(parts: VerifierParts): Promise<void> {
  const { pending } = parts;
  if (pending.size === 0) return;
  const entries = [...pending].map(([id, lastUsedAt]) => ({ id, lastUsedAt: new Date(lastUsedAt) }));
  pending.clear();
  try {
    await parts.store.touch(entries);
  } catch {
    for (const { id, lastUsedAt } of entries) if (!pending.has(id)) pending.set(id, lastUsedAt.getTime());
  }
}
