/**
 * A DPoP `jti` replay store (RFC 9449 §11.1) on PostgreSQL, for apps whose instances share a database
 * but no Redis. One statement per proof, atomic under the primary key: the first instance to insert a
 * key wins; a later claim only takes over a row whose lifetime has ended. Expired rows are swept at
 * most once a minute. Table `<schema>.dpop_replay` (migration 6).
 */
import { ConfigInvalidError, type ReplayStore, UnavailableError } from '@restguard/core';
import pg from 'pg';
import { migratePostgres, quoteIdentifier, SCHEMA_PATTERN } from './migrations.js';

/** Options of {@link createPostgresReplayStore}. */
export interface PostgresReplayStoreOptions {
  /** `postgres://…`; the store opens its own small pool and closes it in `close()`. */
  readonly connectionString: string;
  /** Schema of restguard's tables (shared with the API-key store). Default `restguard`. */
  readonly schema?: string;
  /** Apply pending migrations on first use. Default true. */
  readonly autoMigrate?: boolean;
  /** Largest pool size. Default 5. */
  readonly maxConnections?: number;
  /** Connection and statement timeout, ms. Default 5000. */
  readonly timeoutMs?: number;
}

const SWEEP_EVERY_MS = 60_000;

/**
 * Builds the PostgreSQL replay store. Any database failure rejects with `UnavailableError` (503).
 * @example
 * import { createGuard } from '@restguard/core';
 * import { createPostgresReplayStore } from '@restguard/store-postgres';
 *
 * const replayStore = createPostgresReplayStore({ connectionString: process.env.DATABASE_URL! });
 * const guard = createGuard({ tokens, dpop: { replayStore } });
 * // on shutdown: await replayStore.close();
 */
export function createPostgresReplayStore(options: PostgresReplayStoreOptions): ReplayStore & {
  /** Closes the store's own pool. */
  close(): Promise<void>;
} {
  const { connectionString } = options;
  if (typeof connectionString !== 'string' || !/^postgres(?:ql)?:\/\//.test(connectionString)) {
    throw new ConfigInvalidError('A postgres:// connection string is required.');
  }
  const schema = options.schema ?? 'restguard';
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new ConfigInvalidError('A schema name must be lowercase letters, digits and "_" (at most 63).');
  }
  const table = `${quoteIdentifier(schema)}.dpop_replay`;
  const timeout = options.timeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 5,
    connectionTimeoutMillis: timeout,
    statement_timeout: timeout,
    idleTimeoutMillis: 30_000,
    application_name: 'restguard',
  });
  pool.on('error', () => {
    // An idle client died: the pool replaces it; the next claim reports any outage.
  });
  let ready: Promise<unknown> | undefined;
  let lastSweep = 0;
  const claimSql = `INSERT INTO ${table} (key, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond')
    ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE ${table}.expires_at <= now()
    RETURNING 1`;

  return {
    async claim(key, ttlSeconds) {
      try {
        if (options.autoMigrate !== false) {
          ready ??= migratePostgres(pool, schema).catch((err) => {
            ready = undefined;
            throw err;
          });
          await ready;
        }
        const { rowCount } = await pool.query(claimSql, [key, Math.max(1, Math.ceil(ttlSeconds * 1000))]);
        const now = Date.now();
        if (now - lastSweep > SWEEP_EVERY_MS) {
          lastSweep = now;
          pool.query(`DELETE FROM ${table} WHERE expires_at < now()`).catch(() => {});
        }
        return rowCount === 1;
      } catch (err) {
        throw new UnavailableError('The DPoP replay store (PostgreSQL) is unreachable.', { cause: err });
      }
    },
    async close() {
      await pool.end().catch(() => {});
    },
  };
}
