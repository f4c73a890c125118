/**
 * A bounded LRU cache with a time-to-live, on a `Map` (insertion order = recency). Both the entry
 * count and the age of an entry are capped, so no sequence of requests can grow it without bound.
 * A hit moves an entry to the young end only when it sits in the older half (one `Map.get` for a hot
 * key instead of a delete and a re-insert per request). With `sizeOf`, the bytes its entries retain
 * are counted too and bounded by `maxBytes`.
 */

/** Options for {@link createLruCache}. */
export interface LruCacheOptions<K = unknown, V = unknown> {
  /** Maximum entries; the least recently used is evicted beyond it. ≥ 1. */
  maxEntries: number;
  /** Age after which an entry is ignored and dropped, in milliseconds. */
  ttlMs: number;
  /** The clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Bytes an entry retains (key and value). Default: entries are not counted in bytes. */
  sizeOf?: (key: K, value: V) => number;
  /** Bound on the sum of `sizeOf`; the least recently used go first. Default unbounded. */
  maxBytes?: number;
}

/** A bounded LRU cache with TTL. */
export interface LruCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): boolean;
  /** Drops every entry whose value matches. O(size); for rare invalidations. */
  deleteWhere(predicate: (value: V, key: K) => boolean): void;
  clear(): void;
  readonly size: number;
  /** Sum of `sizeOf` over the entries (0 without `sizeOf`). */
  readonly bytes: number;
}

/**
 * Creates a bounded LRU cache.
 * @example
 * const cache = createLruCache<string, number>({ maxEntries: 1000, ttlMs: 30_000 });
 */
export function createLruCache<K, V>(options: LruCacheOptions<K, V>): LruCache<K, V> {
  const now = options.now ?? Date.now;
  const sizeOf = options.sizeOf;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const map = new Map<K, { value: V; expires: number; stamp: number; bytes: number }>();
  let tick = 0;
  let bytes = 0;
  const drop = (key: K): boolean => {
    const entry = map.get(key);
    if (!entry) return false;
    bytes -= entry.bytes;
    return map.delete(key);
  };
  return {
    get(key) {
      const entry = map.get(key);
      if (!entry) return undefined;
      if (entry.expires <= now()) {
        drop(key);
        return undefined;
      }
      if (tick - entry.stamp >= options.maxEntries / 2) {
        map.delete(key);
        entry.stamp = ++tick;
        map.set(key, entry);
      }
      return entry.value;
    },
    set(key, value) {
      drop(key);
      const size = sizeOf ? sizeOf(key, value) : 0;
      if (size > maxBytes) return;
      map.set(key, { value, expires: now() + options.ttlMs, stamp: ++tick, bytes: size });
      bytes += size;
      while (map.size > options.maxEntries || bytes > maxBytes) drop(map.keys().next().value as K);
    },
    delete: drop,
    deleteWhere(predicate) {
      for (const [key, entry] of map) if (predicate(entry.value, key)) drop(key);
    },
    clear: () => {
      map.clear();
      bytes = 0;
    },
    get size() {
      return map.size;
    },
    get bytes() {
      return bytes;
    },
  };
}
