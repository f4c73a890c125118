/**
 * A DPoP `jti` replay store (RFC 9449 §11.1) on Redis, shared by every instance of an app: one
 * `SET key 1 NX PX ttl` per proof, atomic on the server, so the first instance to see a proof wins
 * and a replay to any other instance is refused. Keys expire on their own.
 */
import { type ReplayStore, UnavailableError } from '@restguard/core';
import { createClient } from 'redis';

/** The one command the store needs, as node-redis (`redis`) clients have it. */
export interface RedisSetClient {
  /** `SET key value NX PX ms`: `OK` when set, null when the key exists. */
  set(
    key: string,
    value: string,
    options: { condition: 'NX'; expiration: { type: 'PX'; value: number } },
  ): Promise<string | null | unknown>;
}

/** Options of {@link createRedisReplayStore}: a connection URL, or a connected client of your own. */
export type RedisReplayStoreOptions = (
  | {
      /** `redis://host:port/db` (or `rediss://`). The store opens and closes its own connection. */
      readonly url: string;
      readonly client?: undefined;
    }
  | {
      /** A connected node-redis client, still yours to close. */
      readonly client: RedisSetClient;
      readonly url?: undefined;
    }
) & {
  /** Key prefix. Default `restguard:dpop:`. */
  readonly prefix?: string;
  /** Connection attempt timeout for `url`, ms. Default 5000. */
  readonly connectTimeoutMs?: number;
};

/**
 * Builds the Redis replay store. With `url` it connects on first use, never queues a command while
 * disconnected (a claim then fails at once: the guard answers 503) and reconnects in the background.
 * @example
 * import { createGuard } from '@restguard/core';
 * import { createRedisReplayStore } from '@restguard/store-redis';
 *
 * const replayStore = createRedisReplayStore({ url: process.env.REDIS_URL });
 * const guard = createGuard({ tokens, dpop: { replayStore } });
 * // on shutdown: await replayStore.close();
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore & {
  /** Closes the connection the store opened (a client you passed stays open). */
  close(): Promise<void>;
} {
  const prefix = options.prefix ?? 'restguard:dpop:';
  let own: ReturnType<typeof createClient> | undefined;
  let connecting: Promise<unknown> | undefined;
  if (options.client === undefined) {
    if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) {
      throw new TypeError('createRedisReplayStore needs a redis:// or rediss:// url, or a client.');
    }
    own = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeoutMs ?? 5000,
        reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000),
      },
    });
    // Errors surface on the commands that fail; the client keeps reconnecting.
    own.on('error', () => {});
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  /** The client to use now; for our own connection, waits for it at most `connectTimeoutMs`. */
  const client = async (): Promise<RedisSetClient> => {
    if (!own) return options.client!;
    if (!own.isOpen) connecting = own.connect().catch(() => {});
    if (!own.isReady && connecting) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        connecting,
        new Promise((resolve) => (timer = setTimeout(resolve, connectTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    if (!own.isReady) throw new Error('not connected');
    return own as unknown as RedisSetClient;
  };
  return {
    async claim(key, ttlSeconds) {
      let answer: unknown;
      try {
        answer = await (await client()).set(prefix + key, '1', {
          condition: 'NX',
          expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlSeconds * 1000)) },
        });
      } catch (err) {
        throw new UnavailableError('The DPoP replay store (Redis) is unreachable.', { cause: err });
      }
      return answer === 'OK';
    },
    async close() {
      if (own?.isReady) await own.close();
      else if (own?.isOpen) own.destroy();
    },
  };
}
