/**
 * Per-credential rate limits, decided in the guard after authentication: an API key's own limit (stored
 * with the key), else a default per token subject or client. Answers follow the IETF httpapi draft
 * "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Policy` and
 * `RateLimit`) and RFC 6585 §4 (429 with `Retry-After`). Counting happens in a {@link RateLimitBackend}
 * (memory, Redis or PostgreSQL through rate-limiter-flexible, from `@restguard/core/node`), so instances
 * sharing a store share one budget. Only authenticated principals are counted: an unknown key never
 * reaches the store.
 */
import { ConfigInvalidError } from '../errors.js';
import { optionKeys, refuseUnknownNestedOptions } from '../options-check.js';
import type { Principal } from '../principal.js';
import { parseRate, type RateLimit, toRateLimit } from './rate.js';

/** What a backend answers for one request. */
export interface RateLimitState {
  /** False when the budget is spent (this request is refused). */
  readonly allowed: boolean;
  /** Requests left in the window after this one. */
  readonly remaining: number;
  /** Seconds until the window resets (at least 1). */
  readonly resetSeconds: number;
}

/**
 * Counts requests against a budget. Throws when its store cannot be reached: the guard then applies
 * `onStoreError`.
 * @example
 * const backend: RateLimitBackend = createRateLimitBackend({ store: 'memory' }); // @restguard/core/node
 */
export interface RateLimitBackend {
  /** Counts one request for `key` against `limit` and returns the budget's state after it. */
  consume(key: string, limit: RateLimit): Promise<RateLimitState>;
}

/**
 * The guard's `rateLimit` option.
 * @example
 * createGuard({ tokens, apiKeys, rateLimit: { backend: createRateLimitBackend({ store: 'redis', client }), default: '600/min' } });
 */
export interface RateLimitOptions {
  /** Where requests are counted. */
  readonly backend: RateLimitBackend;
  /** The budget of a token or session principal (and of an API key without its own). Default: none. */
  readonly default?: RateLimit | string;
  /** What a token's budget is keyed on: its subject (default) or its OAuth client (`client_id`/`azp`). */
  readonly by?: 'subject' | 'client';
  /**
   * When the backend's store is down: `'allow'` (default: the limiter fails open, authentication never
   * does) or `'deny'` (503 with `Retry-After`). Either way a `rate_limit_unavailable` event is emitted.
   */
  readonly onStoreError?: 'allow' | 'deny';
}

/** Every key of {@link RateLimitOptions}; anything else is refused at start-up. */
const RATE_LIMIT_OPTION_KEYS = optionKeys<RateLimitOptions>({
  backend: true,
  default: true,
  by: true,
  onStoreError: true,
});

/** Every key of a {@link RateLimit} given as an object; anything else is refused at start-up. */
const RATE_LIMIT_KEYS = optionKeys<RateLimit>({ points: true, windowSeconds: true });

/** The limit that applies to a principal, with the key it is counted under and its policy name. */
export interface AppliedRateLimit {
  readonly key: string;
  readonly limit: RateLimit;
  /** The `RateLimit-Policy` item name: `api-key` or `default`. */
  readonly policy: 'api-key' | 'default';
}

/**
 * Checks the `rateLimit` option at start-up.
 * @example
 * const checked = checkRateLimitOptions({ backend, default: '100/min' });
 */
export function checkRateLimitOptions(options: RateLimitOptions): {
  backend: RateLimitBackend;
  default: RateLimit | undefined;
  by: 'subject' | 'client';
  onStoreError: 'allow' | 'deny';
} {
  refuseUnknownNestedOptions(options, RATE_LIMIT_OPTION_KEYS, 'rateLimit');
  refuseUnknownNestedOptions(options?.default, RATE_LIMIT_KEYS, 'rateLimit.default');
  if (typeof options.backend?.consume !== 'function') {
    throw new ConfigInvalidError('rateLimit.backend must be a rate-limit backend (createRateLimitBackend).');
  }
  const by = options.by ?? 'subject';
  const onStoreError = options.onStoreError ?? 'allow';
  if (by !== 'subject' && by !== 'client')
    throw new ConfigInvalidError("rateLimit.by is 'subject' or 'client'.");
  if (onStoreError !== 'allow' && onStoreError !== 'deny') {
    throw new ConfigInvalidError("rateLimit.onStoreError is 'allow' or 'deny'.");
  }
  return {
    backend: options.backend,
    default: options.default === undefined ? undefined : toRateLimit(options.default),
    by,
    onStoreError,
  };
}

/**
 * The limit for a principal: an API key's own rate (stored with it), else the default keyed on the
 * subject (or client); undefined when none applies.
 * @example
 * rateLimitFor(principal, undefined, 'subject'); // { key: 'k:…', limit: { points: 100, windowSeconds: 60 }, policy: 'api-key' }
 */
export function rateLimitFor(
  principal: Principal,
  fallback: RateLimit | undefined,
  by: 'subject' | 'client',
): AppliedRateLimit | undefined {
  if (principal.kind === 'apiKey' && principal.apiKey) {
    const own = principal.apiKey.rateLimit;
    if (own) {
      try {
        return { key: `k:${principal.apiKey.id}`, limit: parseRate(own), policy: 'api-key' };
      } catch {
        // a stored rate that does not parse (written by hand) falls back to the default
      }
    }
    return fallback ? { key: `k:${principal.apiKey.id}`, limit: fallback, policy: 'default' } : undefined;
  }
  if (!fallback) return undefined;
  const who = by === 'client' && principal.clientId ? `c:${principal.clientId}` : `s:${principal.subject}`;
  return { key: `${principal.issuer ?? ''}|${who}`, limit: fallback, policy: 'default' };
}

/**
 * The IETF `RateLimit-Policy` and `RateLimit` header values (structured-field lists with one item).
 * @example
 * rateLimitHeaders({ key, limit: { points: 100, windowSeconds: 60 }, policy: 'default' }, { allowed: true, remaining: 99, resetSeconds: 60 });
 * // { 'ratelimit-policy': '"default";q=100;w=60', ratelimit: '"default";r=99;t=60' }
 */
export function rateLimitHeaders(applied: AppliedRateLimit, state: RateLimitState): Record<string, string> {
  return {
    'ratelimit-policy': `"${applied.policy}";q=${applied.limit.points};w=${applied.limit.windowSeconds}`,
    ratelimit: `"${applied.policy}";r=${Math.max(0, state.remaining)};t=${Math.max(0, state.resetSeconds)}`,
  };
}
