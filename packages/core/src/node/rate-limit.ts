/**
 * Rate-limit backends on rate-limiter-flexible: atomic counters in memory (one process), Redis or
 * PostgreSQL (every instance sharing the store spends one budget). The app passes its own client
 * (ioredis / node-redis, a `pg` Pool): core imports no database driver. One limiter per distinct
 * rate, keyed `restguard:rl:<points>/<seconds>:<credential>` in the shared store.
 */
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { ConfigInvalidError } from '../errors.js';
import type { RateLimitBackend, RateLimitState } from '../rate-limit/limiter.js';
import type { RateLimit } from '../rate-limit/rate.js';

/**
 * Where a backend counts.
 * @example
 * const options: RateLimitStoreOptions = { store: 'redis', client: new Redis(url, { enableOfflineQueue: false }) };
 */
export type RateLimitStoreOptions =
  | { readonly store: 'memory' }
  | {
      readonly store: 'redis';
      /**
       * An ioredis client (create it with `enableOfflineQueue: false`, so a Redis that is down fails
       * fast instead of queueing) or a node-redis v4+ client.
       */
      readonly client: unknown;
    }
  | {
      readonly store: 'postgres';
      /** A `pg` Pool. The table is created on first use. */
      readonly client: unknown;
      /** Default `restguard_rate_limits`. */
      readonly tableName?: string;
    };

/** A backend, with a way to stop its timers (PostgreSQL's expired-row cleanup). */
export interface NodeRateLimitBackend extends RateLimitBackend {
  readonly store: RateLimitStoreOptions['store'];
}

/**
 * Creates a rate-limit backend for the guard's `rateLimit.backend`.
 * @example
 * import { Redis } from 'ioredis';
 * const backend = createRateLimitBackend({ store: 'redis', client: new Redis(process.env.REDIS_URL, { enableOfflineQueue: false }) });
 * const guard = createGuard({ apiKeys, rateLimit: { backend, default: '600/min' } });
 */
export function createRateLimitBackend(options: RateLimitStoreOptions): NodeRateLimitBackend {
  if (!['memory', 'redis', 'postgres'].includes(options?.store)) {
    throw new ConfigInvalidError("A rate-limit store is 'memory', 'redis' or 'postgres'.");
  }
  if (options.store !== 'memory' && (typeof options.client !== 'object' || options.client === null)) {
    throw new ConfigInvalidError(`The ${options.store} rate-limit store needs a client.`);
  }
  const limiters: Limiters = { byLimit: new Map(), table: undefined };
  return {
    store: options.store,
    async consume(key: string, limit: RateLimit): Promise<RateLimitState> {
      const id = `${limit.points}/${limit.windowSeconds}`;
      let limiter = limiters.byLimit.get(id);
      if (!limiter) {
        limiter = buildLimiter(options, limiters, limit);
        limiters.byLimit.set(id, limiter);
      }
      if (limiters.table) await limiters.table;
      try {
        const res = await limiter.consume(key, 1);
        return { allowed: true, remaining: res.remainingPoints, resetSeconds: seconds(res.msBeforeNext) };
      } catch (err) {
        // rate-limiter-flexible rejects with its result when the budget is spent, with an Error when
        // the store failed (that one propagates: the guard applies its onStoreError policy).
        if (err instanceof RateLimiterRes) {
          return { allowed: false, remaining: 0, resetSeconds: seconds(err.msBeforeNext) };
        }
        throw err;
      }
    },
  };
}

/** A backend's limiters, one per limit, and (PostgreSQL) the creation of their table. */
interface Limiters {
  readonly byLimit: Map<string, RateLimiterAbstract>;
  table: Promise<void> | undefined;
}

/** The limiter of one limit on the configured store; the first PostgreSQL one creates the table. */
function buildLimiter(
  options: RateLimitStoreOptions,
  limiters: Limiters,
  limit: RateLimit,
): RateLimiterAbstract {
  const common = {
    points: limit.points,
    duration: limit.windowSeconds,
    keyPrefix: `restguard:rl:${limit.points}/${limit.windowSeconds}`,
  };
  if (options.store === 'memory') return new RateLimiterMemory(common);
  if (options.store === 'redis') {
    return new RateLimiterRedis({ ...common, storeClient: options.client, rejectIfRedisNotReady: true });
  }
  const tableName = options.tableName ?? 'restguard_rate_limits';
  const first = limiters.table === undefined;
  let ready: (err?: unknown) => void = () => {};
  if (first) {
    const table = new Promise<void>((resolve, reject) => {
      ready = (err) => (err ? reject(err) : resolve());
    });
    limiters.table = table;
    // A failed creation (PostgreSQL down at start) is tried again by the next limiter built.
    table.catch(() => {
      limiters.table = undefined;
      limiters.byLimit.clear();
    });
  }
  return new RateLimiterPostgres(
    { ...common, storeClient: options.client, storeType: 'pool', tableName, tableCreated: !first },
    first ? (err?: unknown) => ready(err) : undefined,
  );
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
