/**
 * A bounded LRU cache with a time-to-live, on a `Map` (insertion order = recency). Both the entry
 * count and the age of an entry are capped, so no sequence of requests can grow it without bound.
 * A hit moves an entry to the young end only when it sits in the older half (one `Map.get` for a hot
 * key instead of a delete and a re-insert per request).
 */

/** Options for {@link createLruCache}. */
export interface LruCacheOptions {
  /** Maximum entries; the least recently used is evicted beyond it. ≥ 1. */
  maxEntries: number;
  /** Age after which an entry is ignored and dropped, in milliseconds. */
  ttlMs: number;
  /** The clock in milliseconds. Default `Date.now`. */
  now?: () => number;
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
}

/**
 * Creates a bounded LRU cache.
 * @example
 * const cache = createLruCache<string, number>({ maxEntries: 1000, ttlMs: 30_000 });
 */
export function createLruCache<K, V>(options: LruCacheOptions): LruCache<K, V> {
  const now = options.now ?? Date.now;
  const map = new Map<K, { value: V; expires: number; stamp: number }>();
  let tick = 0;
  return {
    get(key) {
      const entry = map.get(key);
      if (!entry) return undefined;
      if (entry.expires <= now()) {
        map.delete(key);
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
      map.delete(key);
      map.set(key, { value, expires: now() + options.ttlMs, stamp: ++tick });
      while (map.size > options.maxEntries) map.delete(map.keys().next().value as K);
    },
    delete: (key) => map.delete(key),
    deleteWhere(predicate) {
      for (const [key, entry] of map) if (predicate(entry.value, key)) map.delete(key);
    },
    clear: () => map.clear(),
    get size() {
      return map.size;
    },
  };
}
