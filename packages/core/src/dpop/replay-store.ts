/**
 * The DPoP `jti` replay cache (RFC 9449 §11.1): a proof is accepted once. One interface, with a memory
 * implementation here (one process) and shared ones in `@restguard/store-redis` and
 * `@restguard/store-postgres`, so a proof replayed against another instance is refused as well.
 */
import { UnavailableError } from '../errors.js';

/**
 * Remembers keys for a while, atomically: the first `claim` of a key wins, every later one before it
 * expires loses, on every instance that shares the store.
 * @example
 * const store: ReplayStore = createMemoryReplayStore();
 * await store.claim('jkt.jti', 300); // true
 * await store.claim('jkt.jti', 300); // false: a replay
 */
export interface ReplayStore {
  /**
   * True when `key` was not seen within its lifetime (it is now remembered for `ttlSeconds`), false
   * when it was. An unreachable store throws (the guard answers 503, never accepts).
   */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /** Releases connections the store opened itself. Optional. */
  close?(): Promise<void>;
}

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /** Most keys held at once. When full of live keys, claims fail closed (503). Default 100 000. */
  readonly maxEntries?: number;
  /** Clock in milliseconds. Default `Date.now`. */
  readonly clock?: () => number;
}

/**
 * A bounded, in-process replay cache with per-key expiry: for one instance. Expired keys are dropped
 * as new ones arrive; when every slot holds a live key it refuses new claims with a 503 rather than
 * forget a key early (which would let that proof be replayed).
 * @example
 * const guard = createGuard({ tokens, dpop: { replayStore: createMemoryReplayStore({ maxEntries: 10_000 }) } });
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? 100_000;
  const clock = options.clock ?? Date.now;
  // Insertion order is expiry order when every key has the same lifetime; a sweep stops at the first
  // live key, and a full sweep runs only when the map is full.
  const expiries = new Map<string, number>();
  const sweep = (now: number, full: boolean) => {
    for (const [key, expiresAt] of expiries) {
      if (expiresAt <= now) expiries.delete(key);
      else if (!full) break;
    }
  };
  return {
    async claim(key, ttlSeconds) {
      const now = clock();
      const seen = expiries.get(key);
      if (seen !== undefined && seen > now) return false;
      sweep(now, false);
      if (expiries.size >= maxEntries) sweep(now, true);
      if (expiries.size >= maxEntries) {
        throw new UnavailableError('The DPoP replay cache is full.', { retryAfterSeconds: 1 });
      }
      expiries.delete(key);
      expiries.set(key, now + ttlSeconds * 1000);
      return true;
    },
  };
}
