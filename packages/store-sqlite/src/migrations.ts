/**
 * Versioned schema migrations for the SQLite store. Each applied version is recorded in
 * `restguard_schema_migrations`; all pending ones run in one `BEGIN IMMEDIATE` transaction, which
 * takes SQLite's write lock, so concurrent processes migrating the same file wait for each other and
 * then find nothing left to do. Tables are prefixed `restguard_` so they can share an app's database.
 * Version 3 adds ended browser sessions (OIDC Back-Channel Logout 1.0 §2.7), shared by the processes
 * of one host.
 */
import type Database from 'better-sqlite3';

/** One schema version. Never edit a released migration; add a new one. */
export interface SqliteMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const CHANGED = `(CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))`;

/** Every migration, in order. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'api keys',
    sql: `
      CREATE TABLE restguard_api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL,
        hash_scheme TEXT NOT NULL,
        permissions TEXT NOT NULL,
        subject TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        last_used_at INTEGER,
        rotated_from_id TEXT REFERENCES restguard_api_keys (id),
        rotated_to_id TEXT REFERENCES restguard_api_keys (id)
      ) STRICT;
      CREATE UNIQUE INDEX restguard_api_keys_hash ON restguard_api_keys (hash);
      CREATE INDEX restguard_api_keys_created ON restguard_api_keys (created_at, id);`,
  },
  {
    version: 2,
    name: 'change log for cross-process cache invalidation',
    sql: `
      CREATE TABLE restguard_api_key_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key_id TEXT NOT NULL,
        hash TEXT,
        changed_at INTEGER NOT NULL
      ) STRICT;
      CREATE TRIGGER restguard_api_keys_inserted AFTER INSERT ON restguard_api_keys BEGIN
        INSERT INTO restguard_api_key_changes (key_id, hash, changed_at) VALUES (NEW.id, NEW.hash, ${CHANGED});
      END;
      CREATE TRIGGER restguard_api_keys_updated AFTER UPDATE ON restguard_api_keys
      WHEN OLD.revoked_at IS NOT NEW.revoked_at OR OLD.expires_at IS NOT NEW.expires_at
        OR OLD.hash IS NOT NEW.hash OR OLD.permissions IS NOT NEW.permissions
        OR OLD.subject IS NOT NEW.subject OR OLD.rotated_to_id IS NOT NEW.rotated_to_id
      BEGIN
        INSERT INTO restguard_api_key_changes (key_id, hash, changed_at) VALUES (OLD.id, OLD.hash, ${CHANGED});
      END;
      CREATE TRIGGER restguard_api_keys_deleted AFTER DELETE ON restguard_api_keys BEGIN
        INSERT INTO restguard_api_key_changes (key_id, hash, changed_at) VALUES (OLD.id, OLD.hash, ${CHANGED});
      END;`,
  },
  // Version 3 belongs to another change; versions are applied in this list's order, each once.
  {
    version: 4,
    name: 'per-key rate limit',
    sql: `ALTER TABLE restguard_api_keys ADD COLUMN rate_limit TEXT;`,
  },
  {
    version: 3,
    name: 'ended sessions',
    sql: `
      CREATE TABLE restguard_session_revocations (
        kind TEXT NOT NULL CHECK (kind IN ('id', 'sid', 'sub')),
        value TEXT NOT NULL,
        revoked_at INTEGER NOT NULL,
        until INTEGER NOT NULL,
        PRIMARY KEY (kind, value)
      ) STRICT;
      CREATE INDEX restguard_session_revocations_until ON restguard_session_revocations (until);`,
  },
  {
    version: 5,
    name: 'client certificates as principals',
    sql: `
      CREATE TABLE restguard_client_certificates (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        match TEXT NOT NULL CHECK (match IN ('thumbprint', 'san', 'subject')),
        value TEXT NOT NULL,
        permissions TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX restguard_client_certificates_active
        ON restguard_client_certificates (match, value) WHERE revoked_at IS NULL;`,
  },
  {
    version: 8,
    name: 'session refresh claims',
    sql: `
      CREATE TABLE restguard_session_refresh_claims (
        key TEXT PRIMARY KEY,
        until INTEGER NOT NULL
      ) STRICT;`,
  },
];

/**
 * Applies pending migrations; returns the versions it applied (empty when up to date). A database
 * migrated by a newer restguard keeps its newer versions and is used as is.
 * @example
 * migrateSqlite(new Database('keys.db')); // [1, 2] the first time, [] afterwards
 */
export function migrateSqlite(db: Database.Database): number[] {
  const run = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS restguard_schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
    const applied = new Set(
      (db.prepare('SELECT version FROM restguard_schema_migrations').all() as { version: number }[]).map(
        (row) => row.version,
      ),
    );
    const done: number[] = [];
    const record = db.prepare(
      'INSERT INTO restguard_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of SQLITE_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
      done.push(migration.version);
    }
    return done;
  });
  return run.immediate();
}
