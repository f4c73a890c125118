/**
 * `createPostgresApiKeyStore`: restguard's API-key store for many instances, on a `pg` pool. Lookup by
 * a unique index on `hash`; versioned migrations under an advisory lock on first use; revocations pushed
 * to every instance by LISTEN/NOTIFY (a trigger sends them, so the CLI's and manual changes count too).
 * Any pool or connection failure rejects with `UnavailableError` (503), never a pass.
 */
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  type ApiKeyStoreListener,
  apiKeyStoreClosedError,
  apiKeyStoreError,
  assertApiKeyRotatable,
  ConfigInvalidError,
  notifyApiKeyListeners,
  notifyApiKeyRotation,
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

/** What one PostgreSQL store keeps between calls. */
interface PostgresStoreContext {
  readonly pool: pg.Pool;
  /** The application's pool (never ended by the store), or undefined for the store's own. */
  readonly ownersPool: pg.Pool | undefined;
  readonly schema: string;
  /** The quoted schema, as it goes into SQL. */
  readonly quotedSchema: string;
  /** The LISTEN connection's settings: the connection string, or those of the application's pool. */
  readonly listenConfig: pg.ClientConfig;
  readonly autoMigrate: boolean;
  readonly listeners: Set<ApiKeyStoreListener>;
  listener: ChangeListener | undefined;
  sessions: PostgresSessionRevocationList | undefined;
  ready: Promise<void> | undefined;
  closed: boolean;
}

/** A unique-constraint (class 23, integrity) violation: the write conflicts with a stored key. */
const isIntegrityViolation = (code: string): boolean => code.startsWith('23');

/** Checks the options that are wrong whatever the database: throws `ConfigInvalidError`. */
function checkOptions(options: PostgresApiKeyStoreOptions): string {
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
  return schema;
}

function createContext(options: PostgresApiKeyStoreOptions): PostgresStoreContext {
  const schema = checkOptions(options);
  const { connectionString, pool: ownersPool } = options;
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
  return {
    pool,
    ownersPool,
    schema,
    quotedSchema: quoteIdentifier(schema),
    listenConfig: ownersPool
      ? { ...(ownersPool as pg.Pool & { options: pg.PoolConfig }).options }
      : { connectionString },
    autoMigrate: options.autoMigrate !== false,
    listeners: new Set(),
    listener: undefined,
    sessions: undefined,
    ready: undefined,
    closed: false,
  };
}

/** Runs the migrations once (again after a failure); a closed store rejects. */
function prepare(context: PostgresStoreContext): Promise<void> {
  if (context.closed) return Promise.reject(apiKeyStoreClosedError());
  if (!context.autoMigrate) return Promise.resolve();
  context.ready ??= migratePostgres(context.pool, context.schema).then(
    () => undefined,
    (err) => {
      context.ready = undefined;
      throw err;
    },
  );
  return context.ready;
}

/** Runs a store call after the migrations; failures reject as core's store errors (503, or `conflict`). */
async function run<T>(context: PostgresStoreContext, work: () => Promise<T>): Promise<T> {
  try {
    await prepare(context);
    return await work();
  } catch (err) {
    throw apiKeyStoreError(err, isIntegrityViolation);
  }
}

async function query<R extends pg.QueryResultRow>(
  context: PostgresStoreContext,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  return (await context.pool.query<R>(sql, params)).rows;
}

async function findKey(context: PostgresStoreContext, column: 'hash' | 'id', value: string) {
  const [row] = await query<ApiKeyRow>(
    context,
    `SELECT * FROM ${context.quotedSchema}.api_keys WHERE ${column} = $1`,
    [value],
  );
  return row ? fromRow(row) : null;
}

async function listKeys(context: PostgresStoreContext, includeRevoked?: boolean): Promise<ApiKeyRecord[]> {
  const where = includeRevoked ? '' : 'WHERE revoked_at IS NULL';
  return (
    await query<ApiKeyRow>(
      context,
      `SELECT * FROM ${context.quotedSchema}.api_keys ${where} ORDER BY created_at, id`,
    )
  ).map(fromRow);
}

/** Runs an update returning the key's hash; notifies and answers true when a key was changed. */
async function changeKey(context: PostgresStoreContext, id: string, sql: string, params: unknown[]) {
  const [row] = await query<{ hash: string }>(context, sql, params);
  if (!row) return false;
  notifyApiKeyListeners(context.listeners, { id, hash: row.hash });
  return true;
}

function revokeKey(context: PostgresStoreContext, id: string, at: Date): Promise<boolean> {
  return changeKey(
    context,
    id,
    `UPDATE ${context.quotedSchema}.api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING hash`,
    [id, at],
  );
}

function setKeyRateLimit(
  context: PostgresStoreContext,
  id: string,
  rateLimit: string | null,
): Promise<boolean> {
  // Not a column the change trigger watches: the notification is sent here, in the same statement.
  return changeKey(
    context,
    id,
    `WITH updated AS (UPDATE ${context.quotedSchema}.api_keys SET rate_limit = $2 WHERE id = $1 RETURNING id, hash)
           SELECT hash, pg_notify('${POSTGRES_CHANNEL}',
             json_build_object('schema', $3::text, 'id', id, 'hash', hash)::text) FROM updated`,
    [id, rateLimit, context.schema],
  );
}

/** The rotation's statements, in one transaction on one client (the old row locked first). */
async function rotateInTransaction(
  context: PostgresStoreContext,
  client: pg.PoolClient,
  oldId: string,
  next: ApiKeyRecord,
  graceUntil: Date,
): Promise<{ hash: string }> {
  const schema = context.quotedSchema;
  await client.query('BEGIN');
  const [old] = (
    await client.query<{ hash: string; revoked_at: Date | null; rotated_to_id: string | null }>(
      `SELECT hash, revoked_at, rotated_to_id FROM ${schema}.api_keys WHERE id = $1 FOR UPDATE`,
      [oldId],
    )
  ).rows;
  assertApiKeyRotatable(old && { revoked: old.revoked_at !== null, rotated: old.rotated_to_id !== null });
  await client.query(insertSql(schema), insertParams({ ...next, rotatedFromId: oldId }));
  await client.query(
    `UPDATE ${schema}.api_keys SET rotated_to_id = $2, expires_at = least(coalesce(expires_at, $3), $3) WHERE id = $1`,
    [oldId, next.id, graceUntil],
  );
  await client.query('COMMIT');
  return old!;
}

async function rotateKey(context: PostgresStoreContext, oldId: string, next: ApiKeyRecord, graceUntil: Date) {
  const client = await context.pool.connect();
  let old: { hash: string };
  try {
    old = await rotateInTransaction(context, client, oldId, next, graceUntil);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  notifyApiKeyRotation(context.listeners, { id: oldId, hash: old.hash }, next);
}

async function touchKeys(
  context: PostgresStoreContext,
  entries: ReadonlyArray<{ id: string; lastUsedAt: Date }>,
) {
  const latest = new Map<string, Date>();
  for (const { id, lastUsedAt } of entries) {
    const seen = latest.get(id);
    if (!seen || seen < lastUsedAt) latest.set(id, lastUsedAt);
  }
  if (latest.size === 0) return;
  await query(
    context,
    `UPDATE ${context.quotedSchema}.api_keys k SET last_used_at = v.at
           FROM unnest($1::text[], $2::timestamptz[]) AS v(id, at)
           WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.at)`,
    [[...latest.keys()], [...latest.values()]],
  );
}

async function rehashKey(context: PostgresStoreContext, id: string, hash: string, hashScheme: string) {
  const schema = context.quotedSchema;
  const [row] = await query<{ hash: string }>(
    context,
    `UPDATE ${schema}.api_keys n SET hash = $2, hash_scheme = $3 FROM ${schema}.api_keys o
           WHERE n.id = $1 AND o.id = n.id AND n.hash <> $2 RETURNING o.hash`,
    [id, hash, hashScheme],
  );
  if (row) notifyApiKeyListeners(context.listeners, { id, hash: row.hash });
}

function sessionRevocations(context: PostgresStoreContext): PostgresSessionRevocationList {
  context.sessions ??= createSessionTable({
    pool: context.pool,
    connection: context.listenConfig,
    schema: context.schema,
    quotedSchema: context.quotedSchema,
    run: (work) => run(context, work),
    clock: Date.now,
    capacity: 100_000,
  });
  return context.sessions;
}

function subscribe(context: PostgresStoreContext, listener: ApiKeyStoreListener): () => void {
  context.listeners.add(listener);
  if (!context.listener && !context.closed) {
    context.listener = startChangeListener(context.listenConfig, context.schema, (change) =>
      notifyApiKeyListeners(context.listeners, change),
    );
  }
  return () => {
    context.listeners.delete(listener);
    if (context.listeners.size === 0 && context.listener) {
      void context.listener.stop();
      context.listener = undefined;
    }
  };
}

async function closeStore(context: PostgresStoreContext): Promise<void> {
  if (context.closed) return;
  context.closed = true;
  context.listeners.clear();
  await context.listener?.stop();
  context.listener = undefined;
  await context.sessions?.close();
  if (!context.ownersPool) await context.pool.end().catch(() => {});
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
  const context = createContext(options);
  return {
    schema: context.schema,
    migrate: () =>
      run(context, async () => {
        await migratePostgres(context.pool, context.schema);
      }),
    insert: (record) =>
      run(context, async () => {
        await query(context, insertSql(context.quotedSchema), insertParams(record));
        notifyApiKeyListeners(context.listeners, { id: record.id, hash: record.hash });
      }),
    findByHash: (hash) => run(context, () => findKey(context, 'hash', hash)),
    findById: (id) => run(context, () => findKey(context, 'id', id)),
    list: (listOptions = {}) => run(context, () => listKeys(context, listOptions.includeRevoked)),
    revoke: (id, at) => run(context, () => revokeKey(context, id, at)),
    setRateLimit: (id, rateLimit) => run(context, () => setKeyRateLimit(context, id, rateLimit)),
    rotate: (oldId, next, graceUntil) => run(context, () => rotateKey(context, oldId, next, graceUntil)),
    touch: (entries) => run(context, () => touchKeys(context, entries)),
    rehash: (id, hash, hashScheme) => run(context, () => rehashKey(context, id, hash, hashScheme)),
    sessionRevocations: () => sessionRevocations(context),
    subscribe: (listener) => subscribe(context, listener),
    close: () => closeStore(context),
  };
}
