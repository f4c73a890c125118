/**
 * `createSqliteApiKeyStore`: restguard's embedded API-key store on better-sqlite3. WAL journal (readers
 * never block the writer), a busy timeout for concurrent writers, a unique index on `hash` (lookup is
 * an index probe), versioned migrations run on first use, and a change feed that brings another
 * process's revocation to this one's subscribers within about a second.
 */
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  type ApiKeyStoreListener,
  assertApiKeyRotatable,
  notifyApiKeyListeners,
  notifyApiKeyRotation,
  type SessionRevocationList,
} from '@restguard/core';
import type Database from 'better-sqlite3';
import { CHANGE_LOG_RETENTION_MS } from './changes.js';
import {
  manage,
  migrateWithWal,
  run,
  type SqliteStoreContext,
  startPolling,
  statement,
  stopPolling,
} from './connection.js';
import { type ApiKeyRow, fromRow, INSERT_SQL, toParams } from './rows.js';
import { createSqliteSessionRevocations } from './sessions.js';
import { sqlitePathFromUrl } from './url.js';

/** Options for {@link createSqliteApiKeyStore}. */
export interface SqliteApiKeyStoreOptions {
  /** A file path, a `sqlite:PATH` URL, or `:memory:` (one process only). The folder must exist. */
  path: string;
  /** Fail instead of creating the database file when it does not exist. Default false. */
  fileMustExist?: boolean;
  /**
   * How long a management write (migrate, insert, revoke, rotate, rate limit) waits for another
   * process's write lock, in ms. Default 5000.
   */
  busyTimeoutMs?: number;
  /**
   * How long a call on the request path (key lookup, `lastUsedAt` flush, session revocation) waits for
   * another process's lock, in ms, before rejecting with `UnavailableError` (503). better-sqlite3 is
   * synchronous, so this wait blocks the event loop and every request in flight: keep it short.
   * Default 100.
   */
  requestBusyTimeoutMs?: number;
  /** How often the change log is checked while someone subscribes, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** Run migrations on first use. Default true; else call `migrate()` yourself. */
  autoMigrate?: boolean;
}

/** The SQLite store: an {@link ApiKeyStore} that also tells which file it uses. */
export interface SqliteApiKeyStore extends ApiKeyStore {
  /** The file in use. */
  readonly path: string;
  /**
   * Ended browser sessions, shared by every process using this file (each check is one index probe,
   * so another process's logout applies at once): pass it as the session manager's `revocations`.
   * Entries are deleted once past their `until`; a database that cannot be read rejects (503).
   * @example
   * const store = createSqliteApiKeyStore({ path: 'sqlite:data/keys.db' });
   * const guard = createGuard({ apiKeys: { store }, sessions: { ...options, revocations: store.sessionRevocations() } });
   */
  sessionRevocations(): SessionRevocationList;
}

const pruneChanges = (context: SqliteStoreContext, db: Database.Database) =>
  statement(context, db, 'DELETE FROM restguard_api_key_changes WHERE changed_at < ?').run(
    Date.now() - CHANGE_LOG_RETENTION_MS,
  );
const rowById = (context: SqliteStoreContext, db: Database.Database, id: string) =>
  statement(context, db, 'SELECT * FROM restguard_api_keys WHERE id = ?').get(id) as ApiKeyRow | undefined;

function insertKey(context: SqliteStoreContext, db: Database.Database, record: ApiKeyRecord): void {
  statement(context, db, INSERT_SQL).run(toParams(record));
  startPolling(context);
  notifyApiKeyListeners(context.listeners, { id: record.id, hash: record.hash });
}

function findKeyByHash(
  context: SqliteStoreContext,
  db: Database.Database,
  hash: string,
): ApiKeyRecord | null {
  startPolling(context);
  const row = statement(context, db, 'SELECT * FROM restguard_api_keys WHERE hash = ?').get(hash) as
    | ApiKeyRow
    | undefined;
  return row ? fromRow(row) : null;
}

function listKeys(
  context: SqliteStoreContext,
  db: Database.Database,
  includeRevoked?: boolean,
): ApiKeyRecord[] {
  const where = includeRevoked ? '' : 'WHERE revoked_at IS NULL';
  const rows = statement(
    context,
    db,
    `SELECT * FROM restguard_api_keys ${where} ORDER BY created_at, id`,
  ).all() as ApiKeyRow[];
  return rows.map(fromRow);
}

/** Runs `change` in an immediate transaction; notifies and answers true when it found the key. */
function changeKey(
  context: SqliteStoreContext,
  db: Database.Database,
  id: string,
  change: () => ApiKeyRow | undefined,
): boolean {
  const row = db.transaction(change).immediate();
  if (!row) return false;
  notifyApiKeyListeners(context.listeners, { id, hash: row.hash });
  return true;
}

function revokeKey(context: SqliteStoreContext, db: Database.Database, id: string, at: Date): boolean {
  return changeKey(context, db, id, () => {
    statement(
      context,
      db,
      'UPDATE restguard_api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?',
    ).run(at.getTime(), id);
    pruneChanges(context, db);
    return rowById(context, db, id);
  });
}

function setKeyRateLimit(
  context: SqliteStoreContext,
  db: Database.Database,
  id: string,
  rateLimit: string | null,
): boolean {
  return changeKey(context, db, id, () => {
    const changed = statement(context, db, 'UPDATE restguard_api_keys SET rate_limit = ? WHERE id = ?').run(
      rateLimit,
      id,
    ).changes;
    const found = changed > 0 ? rowById(context, db, id) : undefined;
    // Not one of the columns the change trigger watches: logged here for other processes.
    if (found) {
      statement(
        context,
        db,
        'INSERT INTO restguard_api_key_changes (key_id, hash, changed_at) VALUES (?, ?, ?)',
      ).run(id, found.hash, Date.now());
    }
    pruneChanges(context, db);
    return found;
  });
}

function rotateKey(
  context: SqliteStoreContext,
  db: Database.Database,
  oldId: string,
  next: ApiKeyRecord,
  graceUntil: Date,
): void {
  const old = db
    .transaction(() => {
      const current = rowById(context, db, oldId);
      assertApiKeyRotatable(
        current && { revoked: current.revoked_at !== null, rotated: current.rotated_to_id !== null },
      );
      statement(context, db, INSERT_SQL).run(toParams({ ...next, rotatedFromId: oldId }));
      statement(
        context,
        db,
        'UPDATE restguard_api_keys SET rotated_to_id = ?, expires_at = min(coalesce(expires_at, ?), ?) WHERE id = ?',
      ).run(next.id, graceUntil.getTime(), graceUntil.getTime(), oldId);
      pruneChanges(context, db);
      return current!;
    })
    .immediate();
  notifyApiKeyRotation(context.listeners, old, next);
}

function touchKeys(
  context: SqliteStoreContext,
  db: Database.Database,
  entries: ReadonlyArray<{ id: string; lastUsedAt: Date }>,
): void {
  if (entries.length === 0) return;
  const update = statement(
    context,
    db,
    'UPDATE restguard_api_keys SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)',
  );
  db.transaction(() => {
    for (const { id, lastUsedAt } of entries) update.run({ id, at: lastUsedAt.getTime() });
  }).immediate();
}

function rehashKey(
  context: SqliteStoreContext,
  db: Database.Database,
  id: string,
  hash: string,
  hashScheme: string,
): void {
  const row = rowById(context, db, id);
  if (!row || row.hash === hash) return;
  statement(context, db, 'UPDATE restguard_api_keys SET hash = ?, hash_scheme = ? WHERE id = ?').run(
    hash,
    hashScheme,
    id,
  );
  notifyApiKeyListeners(context.listeners, { id, hash: row.hash });
}

function subscribe(context: SqliteStoreContext, listener: ApiKeyStoreListener): () => void {
  context.listeners.add(listener);
  startPolling(context);
  return () => {
    context.listeners.delete(listener);
    if (context.listeners.size === 0) stopPolling(context);
  };
}

function closeStore(context: SqliteStoreContext): void {
  context.closed = true;
  stopPolling(context);
  context.listeners.clear();
  context.statements.clear();
  context.db?.close();
  context.db = undefined;
}

function createContext(options: SqliteApiKeyStoreOptions): SqliteStoreContext {
  return {
    path: sqlitePathFromUrl(options.path),
    fileMustExist: options.fileMustExist ?? false,
    autoMigrate: options.autoMigrate !== false,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    requestBusyTimeoutMs: options.requestBusyTimeoutMs ?? 100,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    listeners: new Set(),
    statements: new Map(),
    db: undefined,
    migrated: false,
    closed: false,
    poller: undefined,
  };
}

/**
 * Opens (lazily, on first use) a SQLite API-key store. Errors opening or using the database reject
 * with `UnavailableError` (503); the database file is created if missing, its folder is not.
 * @example
 * import { createApiKeyVerifier } from '@restguard/core';
 * import { createSqliteApiKeyStore } from '@restguard/store-sqlite';
 * const store = createSqliteApiKeyStore({ path: 'sqlite:data/keys.db' });
 * const verifier = createApiKeyVerifier({ store });
 */
export function createSqliteApiKeyStore(options: SqliteApiKeyStoreOptions): SqliteApiKeyStore {
  const context = createContext(options);
  const sessions = createSqliteSessionRevocations(context);
  return {
    path: context.path,
    sessionRevocations: () => sessions,
    migrate: () =>
      manage(context, (db) => {
        migrateWithWal(context, db);
        context.migrated = true;
        startPolling(context);
      }),
    insert: (record) => manage(context, (db) => insertKey(context, db, record)),
    findByHash: (hash) => run(context, (db) => findKeyByHash(context, db, hash)),
    findById: (id) =>
      run(context, (db) => {
        const row = rowById(context, db, id);
        return row ? fromRow(row) : null;
      }),
    list: (listOptions = {}) => run(context, (db) => listKeys(context, db, listOptions.includeRevoked)),
    revoke: (id, at) => manage(context, (db) => revokeKey(context, db, id, at)),
    setRateLimit: (id, rateLimit) => manage(context, (db) => setKeyRateLimit(context, db, id, rateLimit)),
    rotate: (oldId, next, graceUntil) =>
      manage(context, (db) => rotateKey(context, db, oldId, next, graceUntil)),
    touch: (entries) => run(context, (db) => touchKeys(context, db, entries)),
    rehash: (id, hash, hashScheme) => run(context, (db) => rehashKey(context, db, id, hash, hashScheme)),
    subscribe: (listener) => subscribe(context, listener),
    close: async () => closeStore(context),
  };
}
