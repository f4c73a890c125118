/**
 * `createPostgresApiKeyStore`: restguard's API-key store for many instances, on a `pg` pool. Lookup by
 * a unique index on `hash`; versioned migrations under an advisory lock on first use; revocations pushed
 * to every instance by LISTEN/NOTIFY (a trigger sends them, so the CLI's and manual changes count too).
 * Any pool or connection failure rejects with `UnavailableError` (503), never a pass.
 */
import {
  ApiKeyManagementError,
  type ApiKeyStore,
  type ApiKeyStoreChange,
  ConfigInvalidError,
  isRestguardError,
  UnavailableError,
} from '@restguard/core';
import pg from 'pg';
import { type ChangeListener, startChangeListener } from './listener.js';
import { migratePostgres, POSTGRES_CHANNEL, quoteIdentifier, SCHEMA_PATTERN } from './migrations.js';
import { type ApiKeyRow, fromRow, insertParams, insertSql } from './rows.js';
import { createSessionTable, type PostgresSessionRevocationList } from './sessions.js';

/** Options for {@link createPostgresApiKeyStore}. */
export interface PostgresApiKeyStoreOptions {
  /**
   * `postgres://user:password@host:port/database` (also `postgresql://`). Give this or `pool`.
   */
  connectionString?: string;
  /**
   * The application's own `pg.Pool`, used instead of a pool of the store's own. The store never ends it
   * (`close()` leaves it open for its owner); `maxConnections`, `connectionTimeoutMs` and
   * `statementTimeoutMs` are then the pool's business. Revocation push (LISTEN) uses one extra
   * connection made with the pool's connection settings, never a client held out of the pool.
   */
  pool?: pg.Pool;
  /** Schema holding the tables, created by the migrations. Default `restguard`. */
  schema?: string;
  /** Pool size. Default 10. */
  maxConnections?: number;
  /** How long to wait for a connection, in ms. Default 5000. */
  connectionTimeoutMs?: number;
  /** Server-side statement timeout, in ms. Default 5000. */
  statementTimeoutMs?: number;
  /** Run migrations on first use. Default true; else call `migrate()` yourself. */
  autoMigrate?: boolean;
}

/** The PostgreSQL store: an {@link ApiKeyStore} that also tells its schema. */
export interface PostgresApiKeyStore extends ApiKeyStore {
  readonly schema: string;
  /**
   * Ended browser sessions shared by every instance on this database (the same pool; closed with the
   * store): pass it as the session manager's `revocations`. Another instance's logout is pushed by
   * LISTEN/NOTIFY and applies at once; while the push is down each check queries, and an unreachable
   * database makes checks reject (503), never pass.
   * @example
   * const store = createPostgresApiKeyStore({ connectionString: process.env.DATABASE_URL! });
   * const guard = createGuard({ apiKeys: { store }, sessions: { ...options, revocations: store.sessionRevocations() } });
   */
  sessionRevocations(): PostgresSessionRevocationList;
}

function fail(err: unknown): never {
  if (isRestguardError(err)) throw err;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('23')) {
    throw new ApiKeyManagementError('conflict', 'An API key with this id or hash already exists.', {
      cause: err,
    });
  }
  throw new UnavailableError('The API-key store is unavailable.', { cause: err });
}

/**
 * Creates the store. Nothing connects until first use; an unreachable server makes each call reject
 * with `UnavailableError`, and the store recovers by itself once the server is back.
 * @example
 * import { createPostgresApiKeyStore } from '@restguard/store-postgres';
 * const store = createPostgresApiKeyStore({ connectionString: process.env.DATABASE_URL! });
 * const guard = createGuard({ apiKeys: { store } });
 * // or on the pool the application already has:
 * const shared = createPostgresApiKeyStore({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) });
 */
export function createPostgresApiKeyStore(options: PostgresApiKeyStoreOptions): PostgresApiKeyStore {
  const { connectionString, pool: ownersPool } = options;
  if (ownersPool !== undefined) {
    if (
      !(ownersPool instanceof pg.Pool) &&
      typeof (ownersPool as { query?: unknown })?.query !== 'function'
    ) {
      throw new ConfigInvalidError('pool must be a pg.Pool.');
    }
    if (connectionString !== undefined) {
      throw new ConfigInvalidError('Give either connectionString or pool, not both.');
    }
  } else if (typeof connectionString !== 'string' || !/^postgres(?:ql)?:\/\//.test(connectionString)) {
    throw new ConfigInvalidError('A postgres:// connection string (or a pg.Pool as pool) is required.');
  }
  const schema = options.schema ?? 'restguard';
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new ConfigInvalidError('A schema name must be lowercase letters, digits and "_" (at most 63).');
  }
  const s = quoteIdentifier(schema);
  const pool =
    ownersPool ??
    new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
      statement_timeout: options.statementTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'restguard',
    });
  // An idle client died (server restart): the pool replaces it; the next query reports any outage.
  // The owner of an application pool handles (or not) its events: the store adds no listener to it.
  if (!ownersPool) pool.on('error', () => {});
  // The LISTEN connection's settings: the connection string, or those of the application's pool.
  const listenConfig: pg.ClientConfig = ownersPool
    ? { ...(ownersPool as pg.Pool & { options: pg.PoolConfig }).options }
    : { connectionString };
  const listeners = new Set<(change: ApiKeyStoreChange) => void>();
  let listener: ChangeListener | undefined;
  let sessions: PostgresSessionRevocationList | undefined;
  let ready: Promise<void> | undefined;
  let closed = false;

  const emit = (change: ApiKeyStoreChange) => {
    for (const fn of [...listeners]) {
      try {
        fn(change);
      } catch {
        // a listener's failure never breaks the store
      }
    }
  };
  const prepare = (): Promise<void> => {
    if (closed) return Promise.reject(new UnavailableError('The API-key store is closed.'));
    if (options.autoMigrate === false) return Promise.resolve();
    ready ??= migratePostgres(pool, schema).then(
      () => undefined,
      (err) => {
        ready = undefined;
        throw err;
      },
    );
    return ready;
  };
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      await prepare();
      return await work();
    } catch (err) {
      fail(err);
    }
  };
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await pool.query<R>(sql, params)).rows;
  const select = `SELECT * FROM ${s}.api_keys`;

  return {
    schema,
    migrate: () =>
      run(async () => {
        await migratePostgres(pool, schema);
      }),
    insert: (record) =>
      run(async () => {
        await query(insertSql(s), insertParams(record));
        emit({ id: record.id, hash: record.hash });
      }),
    findByHash: (hash) =>
      run(async () => {
        const [row] = await query<ApiKeyRow>(`${select} WHERE hash = $1`, [hash]);
        return row ? fromRow(row) : null;
      }),
    findById: (id) =>
      run(async () => {
        const [row] = await query<ApiKeyRow>(`${select} WHERE id = $1`, [id]);
        return row ? fromRow(row) : null;
      }),
    list: (listOptions = {}) =>
      run(async () => {
        const where = listOptions.includeRevoked ? '' : 'WHERE revoked_at IS NULL';
        return (await query<ApiKeyRow>(`${select} ${where} ORDER BY created_at, id`)).map(fromRow);
      }),
    revoke: (id, at) =>
      run(async () => {
        const [row] = await query<{ hash: string }>(
          `UPDATE ${s}.api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING hash`,
          [id, at],
        );
        if (!row) return false;
        emit({ id, hash: row.hash });
        return true;
      }),
    setRateLimit: (id, rateLimit) =>
      run(async () => {
        // Not a column the change trigger watches: the notification is sent here, in the same statement.
        const [row] = await query<{ hash: string }>(
          `WITH updated AS (UPDATE ${s}.api_keys SET rate_limit = $2 WHERE id = $1 RETURNING id, hash)
           SELECT hash, pg_notify('${POSTGRES_CHANNEL}',
             json_build_object('schema', $3::text, 'id', id, 'hash', hash)::text) FROM updated`,
          [id, rateLimit, schema],
        );
        if (!row) return false;
        emit({ id, hash: row.hash });
        return true;
      }),
    rotate: (oldId, next, graceUntil) =>
      run(async () => {
        const client = await pool.connect();
        let old: { hash: string; revoked_at: Date | null; rotated_to_id: string | null } | undefined;
        try {
          await client.query('BEGIN');
          [old] = (
            await client.query(
              `SELECT hash, revoked_at, rotated_to_id FROM ${s}.api_keys WHERE id = $1 FOR UPDATE`,
              [oldId],
            )
          ).rows;
          if (!old) throw new ApiKeyManagementError('not_found', 'No API key has this id.');
          if (old.revoked_at !== null || old.rotated_to_id !== null) {
            throw new ApiKeyManagementError(
              'conflict',
              'A revoked or already rotated key cannot be rotated.',
            );
          }
          await client.query(insertSql(s), insertParams({ ...next, rotatedFromId: oldId }));
          await client.query(
            `UPDATE ${s}.api_keys SET rotated_to_id = $2, expires_at = least(coalesce(expires_at, $3), $3) WHERE id = $1`,
            [oldId, next.id, graceUntil],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        } finally {
          client.release();
        }
        emit({ id: oldId, hash: old.hash });
        emit({ id: next.id, hash: next.hash });
      }),
    touch: (entries) =>
      run(async () => {
        const latest = new Map<string, Date>();
        for (const { id, lastUsedAt } of entries) {
          const seen = latest.get(id);
          if (!seen || seen < lastUsedAt) latest.set(id, lastUsedAt);
        }
        if (latest.size === 0) return;
        await query(
          `UPDATE ${s}.api_keys k SET last_used_at = v.at
           FROM unnest($1::text[], $2::timestamptz[]) AS v(id, at)
           WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.at)`,
          [[...latest.keys()], [...latest.values()]],
        );
      }),
    rehash: (id, hash, hashScheme) =>
      run(async () => {
        const [row] = await query<{ hash: string }>(
          `UPDATE ${s}.api_keys n SET hash = $2, hash_scheme = $3 FROM ${s}.api_keys o
           WHERE n.id = $1 AND o.id = n.id AND n.hash <> $2 RETURNING o.hash`,
          [id, hash, hashScheme],
        );
        if (row) emit({ id, hash: row.hash });
      }),
    sessionRevocations() {
      sessions ??= createSessionTable({
        pool,
        connection: listenConfig,
        schema,
        s,
        run,
        clock: Date.now,
        capacity: 100_000,
      });
      return sessions;
    },
    subscribe(fn) {
      listeners.add(fn);
      if (!listener && !closed) listener = startChangeListener(listenConfig, schema, emit);
      return () => {
        listeners.delete(fn);
        if (listeners.size === 0 && listener) {
          void listener.stop();
          listener = undefined;
        }
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      await listener?.stop();
      listener = undefined;
      await sessions?.close();
      if (!ownersPool) await pool.end().catch(() => {});
    },
  };
}
