/**
 * The SQLite API-key store's connection handling: one lazily opened better-sqlite3 database per store,
 * its busy timeouts, migrations, prepared statements and change poller, kept in a small context that
 * the store's operations ({@link ./store.ts}, {@link ./sessions.ts}) take as their first argument.
 */
import {
  type ApiKeyStoreListener,
  apiKeyStoreClosedError,
  apiKeyStoreError,
  notifyApiKeyListeners,
} from '@restguard/core';
import Database from 'better-sqlite3';
import { type ChangePoller, startChangePoller } from './changes.js';
import { migrateSqlite } from './migrations.js';

/** What one SQLite store keeps between calls. */
export interface SqliteStoreContext {
  readonly path: string;
  readonly fileMustExist: boolean;
  readonly autoMigrate: boolean;
  readonly busyTimeoutMs: number;
  readonly requestBusyTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly listeners: Set<ApiKeyStoreListener>;
  /**
   * Prepared statements of the open connection, by SQL text: preparing costs more than running a
   * point lookup, and `findByHash` runs on every cache miss.
   */
  readonly statements: Map<string, Database.Statement>;
  db: Database.Database | undefined;
  migrated: boolean;
  closed: boolean;
  poller: ChangePoller | undefined;
}

/** A unique or other constraint violation: the write conflicts with a stored key. */
export const isSqliteConstraint = (code: string): boolean => code.startsWith('SQLITE_CONSTRAINT');

function openDatabase(context: SqliteStoreContext): Database.Database {
  const opened = new Database(context.path, {
    fileMustExist: context.fileMustExist,
    timeout: context.requestBusyTimeoutMs,
  });
  try {
    opened.pragma('synchronous = NORMAL');
    opened.pragma('foreign_keys = ON');
  } catch (err) {
    opened.close();
    throw err;
  }
  return opened;
}

/** The open (and, unless `autoMigrate` is off, migrated) database; a closed store throws. */
export function connection(context: SqliteStoreContext): Database.Database {
  if (context.closed) throw apiKeyStoreClosedError();
  context.db ??= openDatabase(context);
  if (!context.migrated && context.autoMigrate) {
    withBusyTimeout(context, context.db, context.busyTimeoutMs, (db) => migrateWithWal(context, db));
    context.migrated = true;
  }
  return context.db;
}

/**
 * Runs `work` with a longer busy timeout than the request path's: management writes are rare and
 * may wait for another process's write to finish.
 */
function withBusyTimeout<T>(
  context: SqliteStoreContext,
  db: Database.Database,
  ms: number,
  work: (db: Database.Database) => T,
): T {
  if (ms === context.requestBusyTimeoutMs) return work(db);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`);
  try {
    return work(db);
  } finally {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(context.requestBusyTimeoutMs))}`);
  }
}

/**
 * WAL is switched on where the schema is created (it persists in the file), never merely by opening:
 * a read-only command pointed at somebody else's database must leave it as it was.
 */
export function migrateWithWal(context: SqliteStoreContext, db: Database.Database): void {
  if (context.path !== ':memory:') db.pragma('journal_mode = WAL');
  migrateSqlite(db);
}

/** The prepared statement for `sql` on the open connection (prepared once). */
export function statement(
  context: SqliteStoreContext,
  db: Database.Database,
  sql: string,
): Database.Statement {
  let prepared = context.statements.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    context.statements.set(sql, prepared);
  }
  return prepared;
}

/** Runs `work` on the connection; failures reject as core's store errors (503, or `conflict`). */
export async function run<T>(context: SqliteStoreContext, work: (db: Database.Database) => T): Promise<T> {
  try {
    return work(connection(context));
  } catch (err) {
    throw apiKeyStoreError(err, isSqliteConstraint);
  }
}

/** {@link run} for management writes: waits up to `busyTimeoutMs` for another process's lock. */
export function manage<T>(context: SqliteStoreContext, work: (db: Database.Database) => T): Promise<T> {
  return run(context, (db) => withBusyTimeout(context, db, context.busyTimeoutMs, work));
}

/** Starts the change poller while someone subscribes (retried on the next call when unreachable). */
export function startPolling(context: SqliteStoreContext): void {
  if (context.poller || context.listeners.size === 0 || context.closed) return;
  try {
    context.poller = startChangePoller(connection(context), context.pollIntervalMs, (change) =>
      notifyApiKeyListeners(context.listeners, change),
    );
  } catch {
    // Not reachable yet: retried on the next call.
  }
}

/** Stops the change poller. */
export function stopPolling(context: SqliteStoreContext): void {
  context.poller?.stop();
  context.poller = undefined;
}
