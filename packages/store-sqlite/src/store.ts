/**
 * `createSqliteApiKeyStore`: restguard's embedded API-key store on better-sqlite3. WAL journal (readers
 * never block the writer), a busy timeout for concurrent writers, a unique index on `hash` (lookup is
 * an index probe), versioned migrations run on first use, and a change feed that brings another
 * process's revocation to this one's subscribers within about a second.
 */
import {
  ApiKeyManagementError,
  type ApiKeyStore,
  type ApiKeyStoreChange,
  isRestguardError,
  type SessionRevocationList,
  UnavailableError,
} from '@restguard/core';
import Database from 'better-sqlite3';
import { CHANGE_LOG_RETENTION_MS, type ChangePoller, startChangePoller } from './changes.js';
import { migrateSqlite } from './migrations.js';
import { type ApiKeyRow, fromRow, INSERT_SQL, toParams } from './rows.js';
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

function fail(err: unknown): never {
  if (isRestguardError(err)) throw err;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
    throw new ApiKeyManagementError('conflict', 'An API key with this id or hash already exists.', {
      cause: err,
    });
  }
  throw new UnavailableError('The API-key store is unavailable.', { cause: err });
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
  const path = sqlitePathFromUrl(options.path);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const requestBusyTimeoutMs = options.requestBusyTimeoutMs ?? 100;
  const listeners = new Set<(change: ApiKeyStoreChange) => void>();
  let db: Database.Database | undefined;
  let migrated = false;
  let closed = false;
  let poller: ChangePoller | undefined;

  const emit = (change: ApiKeyStoreChange) => {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch {
        // a listener's failure never breaks the store
      }
    }
  };
  const connection = (): Database.Database => {
    if (closed) throw new UnavailableError('The API-key store is closed.');
    if (!db) {
      const opened = new Database(path, {
        fileMustExist: options.fileMustExist ?? false,
        timeout: requestBusyTimeoutMs,
      });
      try {
        opened.pragma('synchronous = NORMAL');
        opened.pragma('foreign_keys = ON');
      } catch (err) {
        opened.close();
        throw err;
      }
      db = opened;
    }
    if (!migrated && options.autoMigrate !== false) {
      withBusyTimeout(db, busyTimeoutMs, migrateWithWal);
      migrated = true;
    }
    return db;
  };
  /**
   * Runs `work` with a longer busy timeout than the request path's: management writes are rare and
   * may wait for another process's write to finish.
   */
  const withBusyTimeout = <T>(d: Database.Database, ms: number, work: (d: Database.Database) => T): T => {
    if (ms === requestBusyTimeoutMs) return work(d);
    d.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`);
    try {
      return work(d);
    } finally {
      d.pragma(`busy_timeout = ${Math.max(0, Math.floor(requestBusyTimeoutMs))}`);
    }
  };
  /**
   * WAL is switched on where the schema is created (it persists in the file), never merely by opening:
   * a read-only command pointed at somebody else's database must leave it as it was.
   */
  const migrateWithWal = (d: Database.Database) => {
    if (path !== ':memory:') d.pragma('journal_mode = WAL');
    migrateSqlite(d);
  };
  /**
   * Prepared statements of the open connection, by SQL text: preparing costs more than running a
   * point lookup, and `findByHash` runs on every cache miss.
   */
  const statements = new Map<string, Database.Statement>();
  const statement = (d: Database.Database, sql: string): Database.Statement => {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = d.prepare(sql);
      statements.set(sql, prepared);
    }
    return prepared;
  };
  const run = async <T>(work: (db: Database.Database) => T): Promise<T> => {
    try {
      return work(connection());
    } catch (err) {
      fail(err);
    }
  };
  /** {@link run} for management writes: waits up to `busyTimeoutMs` for another process's lock. */
  const manage = <T>(work: (db: Database.Database) => T): Promise<T> =>
    run((d) => withBusyTimeout(d, busyTimeoutMs, work));
  const startPolling = () => {
    if (poller || listeners.size === 0 || closed) return;
    try {
      poller = startChangePoller(connection(), pollIntervalMs, emit);
    } catch {
      // Not reachable yet: retried on the next call.
    }
  };
  const pruneChanges = (d: Database.Database) =>
    statement(d, 'DELETE FROM restguard_api_key_changes WHERE changed_at < ?').run(
      Date.now() - CHANGE_LOG_RETENTION_MS,
    );
  const byId = (d: Database.Database, id: string) =>
    statement(d, 'SELECT * FROM restguard_api_keys WHERE id = ?').get(id) as ApiKeyRow | undefined;

  let lastPurge = 0;
  let lastClaimPurge = 0;
  const sessions: SessionRevocationList = {
    revoke: (entry) =>
      run((d) => {
        const { id, sid, sub, at, until } = entry;
        const [kind, value] = id ? ['id', id] : sid ? ['sid', sid] : ['sub', sub!];
        statement(
          d,
          `INSERT INTO restguard_session_revocations (kind, value, revoked_at, until) VALUES (?, ?, ?, ?)
           ON CONFLICT (kind, value) DO UPDATE SET revoked_at = max(revoked_at, excluded.revoked_at),
             until = max(until, excluded.until)`,
        ).run(kind, value, at, until);
        const now = Math.floor(Date.now() / 1000);
        if (now - lastPurge > 60) {
          lastPurge = now;
          statement(d, 'DELETE FROM restguard_session_revocations WHERE until <= ?').run(now);
        }
      }),
    isRevoked: (session) =>
      run(
        (d) =>
          statement(
            d,
            `SELECT 1 FROM restguard_session_revocations WHERE until > @now AND (
               (kind = 'id' AND value = @id) OR (kind = 'sid' AND value = @sid)
               OR (kind = 'sub' AND value = @sub AND revoked_at >= @createdAt)) LIMIT 1`,
          ).get({
            now: Math.floor(Date.now() / 1000),
            id: session.id,
            sid: session.sid ?? null,
            sub: session.sub,
            createdAt: session.createdAt,
          }) !== undefined,
      ),
    // Atomic: of processes claiming the same key at once, one inserts (or takes over an expired claim).
    claim: (key, until) =>
      run((d) => {
        const now = Math.floor(Date.now() / 1000);
        const { changes } = statement(
          d,
          `INSERT INTO restguard_session_refresh_claims (key, until) VALUES (?, ?)
           ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE restguard_session_refresh_claims.until <= ?`,
        ).run(key, until, now);
        if (changes === 1 && now - lastClaimPurge > 60) {
          lastClaimPurge = now;
          statement(d, 'DELETE FROM restguard_session_refresh_claims WHERE until <= ? AND key <> ?').run(
            now,
            key,
          );
        }
        return changes === 1;
      }),
  };

  return {
    path,
    sessionRevocations: () => sessions,
    migrate: () =>
      manage((d) => {
        migrateWithWal(d);
        migrated = true;
        startPolling();
      }),
    insert: (record) =>
      manage((d) => {
        statement(d, INSERT_SQL).run(toParams(record));
        startPolling();
        emit({ id: record.id, hash: record.hash });
      }),
    findByHash: (hash) =>
      run((d) => {
        startPolling();
        const row = statement(d, 'SELECT * FROM restguard_api_keys WHERE hash = ?').get(hash) as
          | ApiKeyRow
          | undefined;
        return row ? fromRow(row) : null;
      }),
    findById: (id) =>
      run((d) => {
        const row = byId(d, id);
        return row ? fromRow(row) : null;
      }),
    list: (listOptions = {}) =>
      run((d) => {
        const where = listOptions.includeRevoked ? '' : 'WHERE revoked_at IS NULL';
        const rows = statement(
          d,
          `SELECT * FROM restguard_api_keys ${where} ORDER BY created_at, id`,
        ).all() as ApiKeyRow[];
        return rows.map(fromRow);
      }),
    revoke: (id, at) =>
      manage((d) => {
        const row = d
          .transaction(() => {
            statement(
              d,
              'UPDATE restguard_api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?',
            ).run(at.getTime(), id);
            pruneChanges(d);
            return byId(d, id);
          })
          .immediate();
        if (!row) return false;
        emit({ id, hash: row.hash });
        return true;
      }),
    setRateLimit: (id, rateLimit) =>
      manage((d) => {
        const row = d
          .transaction(() => {
            const changed = statement(d, 'UPDATE restguard_api_keys SET rate_limit = ? WHERE id = ?').run(
              rateLimit,
              id,
            ).changes;
            const found = changed > 0 ? byId(d, id) : undefined;
            // Not one of the columns the change trigger watches: logged here for other processes.
            if (found) {
              statement(
                d,
                'INSERT INTO restguard_api_key_changes (key_id, hash, changed_at) VALUES (?, ?, ?)',
              ).run(id, found.hash, Date.now());
            }
            pruneChanges(d);
            return found;
          })
          .immediate();
        if (!row) return false;
        emit({ id, hash: row.hash });
        return true;
      }),
    rotate: (oldId, next, graceUntil) =>
      manage((d) => {
        const old = d
          .transaction(() => {
            const current = byId(d, oldId);
            if (!current) throw new ApiKeyManagementError('not_found', 'No API key has this id.');
            if (current.revoked_at !== null || current.rotated_to_id !== null) {
              throw new ApiKeyManagementError(
                'conflict',
                'A revoked or already rotated key cannot be rotated.',
              );
            }
            statement(d, INSERT_SQL).run(toParams({ ...next, rotatedFromId: oldId }));
            statement(
              d,
              'UPDATE restguard_api_keys SET rotated_to_id = ?, expires_at = min(coalesce(expires_at, ?), ?) WHERE id = ?',
            ).run(next.id, graceUntil.getTime(), graceUntil.getTime(), oldId);
            pruneChanges(d);
            return current;
          })
          .immediate();
        emit({ id: oldId, hash: old.hash });
        emit({ id: next.id, hash: next.hash });
      }),
    touch: (entries) =>
      run((d) => {
        if (entries.length === 0) return;
        const update = statement(
          d,
          'UPDATE restguard_api_keys SET last_used_at = @at WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)',
        );
        d.transaction(() => {
          for (const { id, lastUsedAt } of entries) update.run({ id, at: lastUsedAt.getTime() });
        }).immediate();
      }),
    rehash: (id, hash, hashScheme) =>
      run((d) => {
        const row = byId(d, id);
        if (!row || row.hash === hash) return;
        statement(d, 'UPDATE restguard_api_keys SET hash = ?, hash_scheme = ? WHERE id = ?').run(
          hash,
          hashScheme,
          id,
        );
        emit({ id, hash: row.hash });
      }),
    subscribe(listener) {
      listeners.add(listener);
      startPolling();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          poller?.stop();
          poller = undefined;
        }
      };
    },
    async close() {
      closed = true;
      poller?.stop();
      poller = undefined;
      listeners.clear();
      statements.clear();
      db?.close();
      db = undefined;
    },
  };
}
