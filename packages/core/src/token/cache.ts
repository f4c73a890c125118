/**
 * The verified-token cache: a repeated token costs no signature check. Keys are SHA-256 digests of
 * the token (a stolen cache dump holds no token); each entry is dropped at its expiry (the token's
 * `exp`, or earlier); the cache is bounded in entries and in bytes, evicting least recently used.
 * An entry's bytes are what it keeps alive: its key, the principal with its claims and scopes, and
 * the entry itself (see retained-size.ts), not the token's length.
 *
 * Recency is kept the cheap way: a hit moves an entry to the young end only when it sits in the older
 * half of the cache, so a hot token costs one `Map.get`, not a delete and a re-insert per request
 * (which also keeps V8's hash table from filling with deleted slots). An entry in the younger half is
 * at least `maxEntries / 2` insertions away from eviction either way.
 */
import { base64url } from 'jose';
import type { Principal } from '../principal.js';
import { retainedSize } from '../retained-size.js';

/** An entry's own object (principal, expiresAt, bytes, stamp) and its slot in the `Map`. */
const ENTRY_OVERHEAD = 56 + 32;

interface Entry {
  readonly principal: Principal;
  /** Clock time (ms) at which the entry stops being served. */
  readonly expiresAt: number;
  readonly bytes: number;
  /** Value of the cache's insertion counter when the entry was last moved to the young end. */
  stamp: number;
}

/**
 * The cache key of a token: base64url SHA-256 (Web Crypto).
 * @example
 * const key = await tokenDigest('eyJ…');
 */
export async function tokenDigest(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return base64url.encode(new Uint8Array(digest));
}

/** A bounded LRU cache of verified principals. */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Counts insertions and moves to the young end; an entry's age is `tick - entry.stamp`. */
  private tick = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
    private readonly clock: () => number,
  ) {}

  /** Number of entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** The cached principal, or undefined (absent or expired, which drops it). */
  get(key: string): Principal | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.entries.delete(key);
      this.bytes -= entry.bytes;
      return undefined;
    }
    if (this.tick - entry.stamp >= this.maxEntries / 2) {
      // In the older half: most recently used goes last.
      this.entries.delete(key);
      entry.stamp = ++this.tick;
      this.entries.set(key, entry);
    }
    return entry.principal;
  }

  /** Bytes the entries retain (estimated, see retained-size.ts), counted against `maxBytes`. */
  get retainedBytes(): number {
    return this.bytes;
  }

  /** Caches a principal until `expiresAt` (ms); ignored when already expired or larger than the cache. */
  set(key: string, principal: Principal, expiresAt: number): void {
    const bytes = ENTRY_OVERHEAD + retainedSize(key) + retainedSize(principal);
    if (expiresAt <= this.clock() || bytes > this.maxBytes || this.maxEntries === 0) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.bytes;
    }
    this.entries.set(key, { principal, expiresAt, bytes, stamp: ++this.tick });
    this.bytes += bytes;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.bytes -= this.entries.get(oldest)!.bytes;
      this.entries.delete(oldest);
    }
  }

  /** Drops everything. */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
