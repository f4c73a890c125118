/**
 * Server-side memory of ended sessions, for OIDC Back-Channel Logout 1.0 §2.7: a sealed session
 * cookie cannot be recalled, so a logout for a provider session (`sid`) or a user (`sub`) is written
 * here and every request checks it. Entries live as long as a session could (absolute timeout).
 */
import { UnavailableError } from '../errors.js';

/**
 * A session as far as revocation is concerned.
 * @example
 * await revocations.isRevoked({ id: 'Zx…', sid: 'op-session', sub: 'alice', createdAt: 1767225600 });
 */
export interface RevocableSession {
  /** restguard's own session id. */
  readonly id: string;
  /** The provider's session id (ID token `sid`), if any. */
  readonly sid?: string;
  readonly sub: string;
  /** When the session began (seconds since the epoch). */
  readonly createdAt: number;
}

/**
 * Where ended sessions are remembered. The default keeps them in this process (bounded); for several
 * instances, implement this over a shared store. Failures surface as 503, never as a pass.
 * @example
 * const revocations: SessionRevocationList = {
 *   revoke: async (entry) => db.insertRevocation(entry),
 *   isRevoked: async (session) => db.isRevoked(session),
 * };
 */
export interface SessionRevocationList {
  /**
   * Ends one restguard session (`id`, local logout), every session of a provider session (`sid`), or
   * (with `sub` alone) every session of a user begun by `at`. Remembered until `until` (seconds).
   */
  revoke(entry: { id?: string; sid?: string; sub?: string; at: number; until: number }): Promise<void>;
  /** True when `session` was ended. */
  isRevoked(session: RevocableSession): Promise<boolean>;
  /**
   * Atomically claims `key` until `until` (seconds): true for the one caller that got it (or took over
   * an expired claim), false for every other while it lives. Used so that one instance refreshes a
   * session generation; without it, instances refreshing in the same instant can both call the provider.
   */
  claim?(key: string, until: number): Promise<boolean>;
}

/**
 * Wraps a revocation list so that its failures surface as {@link UnavailableError} (503), never as a
 * pass or a 500.
 * @example
 * const revocations = guardRevocationList(options.revocations ?? createMemoryRevocationList());
 */
export function guardRevocationList(list: SessionRevocationList): SessionRevocationList {
  const unavailable = (err: unknown): never => {
    throw new UnavailableError('The session store is unreachable.', { cause: err });
  };
  return {
    revoke: (entry) => list.revoke(entry).catch(unavailable),
    isRevoked: (session) => list.isRevoked(session).catch(unavailable),
    ...(list.claim && { claim: (key: string, until: number) => list.claim!(key, until).catch(unavailable) }),
  };
}

/**
 * A bounded map with per-entry expiry (seconds): the oldest entries go first when it is full.
 * @example
 * const seen = new ExpiringSet(10_000); seen.add('jti', exp, now); seen.has('jti', now);
 */
export class ExpiringSet {
  readonly #entries = new Map<string, { until: number; value: number }>();
  constructor(readonly capacity: number) {}
  /** Adds `key` until `until`; keeps the larger of an existing and the new `value`. */
  add(key: string, until: number, now: number, value = 0): void {
    const existing = this.#entries.get(key);
    this.#entries.delete(key);
    this.#entries.set(key, {
      until: Math.max(until, existing?.until ?? 0),
      value: Math.max(value, existing?.value ?? 0),
    });
    if (this.#entries.size > this.capacity) this.prune(now);
    while (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }
  /** The entry's value while it lives, else undefined. */
  get(key: string, now: number): number | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }
  has(key: string, now: number): boolean {
    return this.get(key, now) !== undefined;
  }
  /** Drops every expired entry. */
  prune(now: number): void {
    for (const [key, entry] of this.#entries) if (entry.until <= now) this.#entries.delete(key);
  }
}

/**
 * The default {@link SessionRevocationList}: in memory, at most `capacity` provider sessions and users.
 * @example
 * const revocations = createMemoryRevocationList();
 * await revocations.revoke({ sid: 'abc', at: now, until: now + 28800 });
 */
export function createMemoryRevocationList(
  capacity = 100_000,
  clock: () => number = Date.now,
): SessionRevocationList {
  const ids = new ExpiringSet(capacity);
  const sids = new ExpiringSet(capacity);
  const subs = new ExpiringSet(capacity);
  const claims = new ExpiringSet(capacity);
  const now = () => Math.floor(clock() / 1000);
  return {
    async revoke({ id, sid, sub, at, until }) {
      if (id) ids.add(id, until, now());
      else if (sid) sids.add(sid, until, now());
      else if (sub) subs.add(sub, until, now(), at);
    },
    async isRevoked(session) {
      if (ids.has(session.id, now())) return true;
      if (session.sid && sids.has(session.sid, now())) return true;
      const at = subs.get(session.sub, now());
      return at !== undefined && session.createdAt <= at;
    },
    async claim(key, until) {
      if (claims.has(key, now())) return false;
      claims.add(key, until, now());
      return true;
    },
  };
}
