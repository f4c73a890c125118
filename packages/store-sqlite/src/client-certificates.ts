/**
 * `createSqliteClientCertificateStore`: the rules that let verified client certificates in as
 * principals (core's `ClientCertificateStore`), in the same SQLite file as the API keys (schema
 * version 5). Lookup is an index probe on `(match, value)` among active rules.
 */
import {
  type ClientCertificateMatch,
  type ClientCertificateRule,
  type ClientCertificateStore,
  clientCertificateRuleFromColumns,
  clientCertificateStoreError,
  databaseErrorCode,
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
  /** JSON. */
  permissions: string;
  created_at: number;
  revoked_at: number | null;
}

const fromRow = (row: Row): ClientCertificateRule =>
  clientCertificateRuleFromColumns({
    ...row,
    permissions: JSON.parse(row.permissions) as string[],
    created_at: new Date(row.created_at),
    revoked_at: row.revoked_at === null ? null : new Date(row.revoked_at),
  });

/** What one client-certificate store keeps between calls. */
interface RuleStoreContext {
  readonly path: string;
  readonly options: SqliteClientCertificateStoreOptions;
  db: Database.Database | undefined;
}

function openDatabase(context: RuleStoreContext): Database.Database {
  const { path, options } = context;
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
  return opened;
}

/** Runs `work` on the (lazily opened) database; a duplicate active rule (only where `unique`) or any failure rejects. */
async function run<T>(
  context: RuleStoreContext,
  work: (db: Database.Database) => T,
  unique = false,
): Promise<T> {
  try {
    context.db ??= openDatabase(context);
    return work(context.db);
  } catch (err) {
    throw clientCertificateStoreError(
      err,
      unique && (databaseErrorCode(err)?.startsWith('SQLITE_CONSTRAINT') ?? false),
    );
  }
}

function insertRule(db: Database.Database, rule: ClientCertificateRule): void {
  db.prepare(
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
}

function findActiveRules(
  db: Database.Database,
  keys: Parameters<ClientCertificateStore['findActive']>[0],
): ClientCertificateRule[] {
  if (keys.length === 0) return [];
  const where = keys.map(() => '(match = ? AND value = ?)').join(' OR ');
  const rows = db
    .prepare(`SELECT * FROM restguard_client_certificates WHERE revoked_at IS NULL AND (${where})`)
    .all(...keys.flatMap((key) => [key.match, key.value])) as Row[];
  return rows.map(fromRow);
}

function listRules(db: Database.Database, includeRevoked?: boolean): ClientCertificateRule[] {
  return (
    db
      .prepare(
        `SELECT * FROM restguard_client_certificates ${includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`,
      )
      .all() as Row[]
  ).map(fromRow);
}

function revokeRule(db: Database.Database, id: string, at: Date): boolean {
  const found = db.prepare('SELECT revoked_at FROM restguard_client_certificates WHERE id = ?').get(id);
  if (!found) return false;
  db.prepare(
    'UPDATE restguard_client_certificates SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  ).run(at.getTime(), id);
  return true;
}

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
  const context: RuleStoreContext = { path: sqlitePathFromUrl(options.path), options, db: undefined };
  return {
    migrate: () =>
      run(context, (db) => {
        migrateSqlite(db);
      }),
    insert: (rule) => run(context, (db) => insertRule(db, rule), true),
    findActive: (keys) => run(context, (db) => findActiveRules(db, keys)),
    list: (listOptions = {}) => run(context, (db) => listRules(db, listOptions.includeRevoked)),
    revoke: (id, at) => run(context, (db) => revokeRule(db, id, at)),
    async close() {
      context.db?.close();
      context.db = undefined;
    },
  };
}
