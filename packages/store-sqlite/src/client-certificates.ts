/**
 * `createSqliteClientCertificateStore`: the rules that let verified client certificates in as
 * principals (core's `ClientCertificateStore`), in the same SQLite file as the API keys (schema
 * version 5). Lookup is an index probe on `(match, value)` among active rules.
 */
import {
  type ClientCertificateMatch,
  type ClientCertificateRule,
  type ClientCertificateStore,
  UnavailableError,
} from '@restguard/core';
import Database from 'better-sqlite3';
import { migrateSqlite } from './migrations.js';
import { sqlitePathFromUrl } from './url.js';

/** Options for {@link createSqliteClientCertificateStore}. */
export interface SqliteClientCertificateStoreOptions {
  /** A file path or a `sqlite:PATH` URL (the API keys' database). The folder must exist. */
  path: string;
  /** How long a write waits for another process's write lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Fail instead of creating the database file when it does not exist. Default false. */
  fileMustExist?: boolean;
  /** Run migrations on first use. Default true; `false` leaves the database as it is (read-only tools). */
  autoMigrate?: boolean;
}

interface Row {
  id: string;
  name: string;
  match: ClientCertificateMatch;
  value: string;
  permissions: string;
  created_at: number;
  revoked_at: number | null;
}

const fromRow = (row: Row): ClientCertificateRule => ({
  id: row.id,
  name: row.name,
  match: row.match,
  value: row.value,
  permissions: JSON.parse(row.permissions) as string[],
  createdAt: new Date(row.created_at),
  revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
});

/**
 * Opens (lazily) the client-certificate rules of a SQLite database. A failing database rejects with
 * `UnavailableError`; inserting a second active rule for the same match and value rejects.
 * @example
 * import { createSqliteClientCertificateStore } from '@restguard/store-sqlite';
 * const guard = createGuard({ clientCertificates: { store: createSqliteClientCertificateStore({ path: 'sqlite:data/keys.db' }) } });
 */
export function createSqliteClientCertificateStore(
  options: SqliteClientCertificateStoreOptions,
): ClientCertificateStore {
  const path = sqlitePathFromUrl(options.path);
  let db: Database.Database | undefined;
  const connection = () => {
    if (!db) {
      const opened = new Database(path, {
        timeout: options.busyTimeoutMs ?? 5000,
        fileMustExist: options.fileMustExist ?? false,
      });
      try {
        // WAL is switched on where the schema is created, never merely by opening.
        if (options.autoMigrate !== false) {
          if (path !== ':memory:') opened.pragma('journal_mode = WAL');
          migrateSqlite(opened);
        }
      } catch (err) {
        opened.close();
        throw err;
      }
      db = opened;
    }
    return db;
  };
  const run = async <T>(work: (d: Database.Database) => T, unique = false): Promise<T> => {
    try {
      return work(connection());
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      if (unique && typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
        throw new Error('An active rule already allows this certificate (or the id exists).', { cause: err });
      }
      throw new UnavailableError('The client-certificate store is unavailable.', { cause: err });
    }
  };
  return {
    migrate: () =>
      run((d) => {
        migrateSqlite(d);
      }),
    insert: (rule) =>
      run((d) => {
        d.prepare(
          `INSERT INTO restguard_client_certificates (id, name, match, value, permissions, created_at, revoked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          rule.id,
          rule.name,
          rule.match,
          rule.value,
          JSON.stringify(rule.permissions),
          rule.createdAt.getTime(),
          rule.revokedAt?.getTime() ?? null,
        );
      }, true),
    findActive: (keys) =>
      run((d) => {
        if (keys.length === 0) return [];
        const where = keys.map(() => '(match = ? AND value = ?)').join(' OR ');
        const rows = d
          .prepare(`SELECT * FROM restguard_client_certificates WHERE revoked_at IS NULL AND (${where})`)
          .all(...keys.flatMap((key) => [key.match, key.value])) as Row[];
        return rows.map(fromRow);
      }),
    list: (listOptions = {}) =>
      run((d) =>
        (
          d
            .prepare(
              `SELECT * FROM restguard_client_certificates ${listOptions.includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`,
            )
            .all() as Row[]
        ).map(fromRow),
      ),
    revoke: (id, at) =>
      run((d) => {
        const found = d.prepare('SELECT revoked_at FROM restguard_client_certificates WHERE id = ?').get(id);
        if (!found) return false;
        d.prepare(
          'UPDATE restguard_client_certificates SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
        ).run(at.getTime(), id);
        return true;
      }),
    async close() {
      db?.close();
      db = undefined;
    },
  };
}
