/**
 * Versioned schema migrations for the PostgreSQL store, recorded in `<schema>.schema_migrations`.
 * They run in one transaction holding a transaction-level advisory lock keyed by the schema name, so
 * instances starting together migrate one after the other and the later ones find nothing to do.
 * Version 2 adds a trigger that sends `NOTIFY restguard_api_keys` on every insert, revocation, expiry
 * change, re-hash or deletion, whoever makes it (another instance, the CLI, a manual `UPDATE`).
 * Version 3 adds ended browser sessions (OIDC Back-Channel Logout 1.0 §2.7), pushed on
 * `NOTIFY restguard_sessions` so every instance refuses them at once.
 * Version 6 adds the DPoP replay cache (`dpop_replay`, see replay-store.ts).
 * Version 8 adds session refresh claims (`session_refresh_claims`, see sessions.ts): one instance
 * refreshes a session generation, however many see it due in the same instant.
 */
import type pg from 'pg';

/** The NOTIFY channel; payloads are JSON `{ "schema", "id", "hash" }`. */
export const POSTGRES_CHANNEL = 'restguard_api_keys';
/** The NOTIFY channel for ended sessions; payloads are JSON `{ "schema", "kind", "value", "at", "until" }`. */
export const POSTGRES_SESSION_CHANNEL = 'restguard_sessions';
/** First key of the advisory lock (`'RGK1'`); the second is `hashtext(schema)`. */
const LOCK_CLASS = 0x52474b31;

/** One schema version. Never edit a released migration; add a new one. */
export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  /** SQL for a quoted schema name. */
  readonly sql: (schema: string) => string;
}

/** Every migration, in order. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'api keys',
    sql: (s) => `
      CREATE TABLE ${s}.api_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        prefix text NOT NULL,
        hash text NOT NULL,
        hash_scheme text NOT NULL,
        permissions text[] NOT NULL,
        subject text,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz,
        rotated_from_id text REFERENCES ${s}.api_keys (id),
        rotated_to_id text REFERENCES ${s}.api_keys (id)
      );
      CREATE UNIQUE INDEX api_keys_hash ON ${s}.api_keys (hash);
      CREATE INDEX api_keys_created ON ${s}.api_keys (created_at, id);`,
  },
  {
    version: 2,
    name: 'notify on change',
    sql: (s) => `
      CREATE FUNCTION ${s}.notify_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE r record;
      BEGIN
        IF TG_OP = 'INSERT' THEN r := NEW; ELSE r := OLD; END IF;
        PERFORM pg_notify('${POSTGRES_CHANNEL}',
          json_build_object('schema', TG_TABLE_SCHEMA, 'id', r.id, 'hash', r.hash)::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER api_keys_inserted AFTER INSERT ON ${s}.api_keys
        FOR EACH ROW EXECUTE FUNCTION ${s}.notify_api_key_change();
      CREATE TRIGGER api_keys_updated AFTER UPDATE ON ${s}.api_keys FOR EACH ROW
        WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.hash IS DISTINCT FROM NEW.hash OR OLD.permissions IS DISTINCT FROM NEW.permissions
          OR OLD.subject IS DISTINCT FROM NEW.subject OR OLD.rotated_to_id IS DISTINCT FROM NEW.rotated_to_id)
        EXECUTE FUNCTION ${s}.notify_api_key_change();
      CREATE TRIGGER api_keys_deleted AFTER DELETE ON ${s}.api_keys
        FOR EACH ROW EXECUTE FUNCTION ${s}.notify_api_key_change();`,
  },
  // Version 3 belongs to another change; versions are applied in this list's order, each once.
  {
    version: 4,
    name: 'per-key rate limit',
    sql: (s) => `ALTER TABLE ${s}.api_keys ADD COLUMN rate_limit text;`,
  },
  {
    version: 3,
    name: 'ended sessions',
    sql: (s) => `
      CREATE TABLE ${s}.session_revocations (
        kind text NOT NULL CHECK (kind IN ('id', 'sid', 'sub')),
        value text NOT NULL,
        revoked_at bigint NOT NULL,
        until bigint NOT NULL,
        PRIMARY KEY (kind, value)
      );
      CREATE INDEX session_revocations_until ON ${s}.session_revocations (until);
      CREATE FUNCTION ${s}.notify_session_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${POSTGRES_SESSION_CHANNEL}', json_build_object('schema', TG_TABLE_SCHEMA,
          'kind', NEW.kind, 'value', NEW.value, 'at', NEW.revoked_at, 'until', NEW.until)::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER session_revocations_changed AFTER INSERT OR UPDATE ON ${s}.session_revocations
        FOR EACH ROW EXECUTE FUNCTION ${s}.notify_session_revocation();`,
  },
  {
    version: 5,
    name: 'client certificates as principals',
    sql: (s) => `
      CREATE TABLE ${s}.client_certificates (
        id text PRIMARY KEY,
        name text NOT NULL,
        match text NOT NULL CHECK (match IN ('thumbprint', 'san', 'subject')),
        value text NOT NULL,
        permissions text[] NOT NULL,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE UNIQUE INDEX client_certificates_active ON ${s}.client_certificates (match, value)
        WHERE revoked_at IS NULL;`,
  },
  {
    version: 6,
    name: 'dpop replay cache',
    sql: (s) => `
      CREATE TABLE ${s}.dpop_replay (
        key text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX dpop_replay_expires ON ${s}.dpop_replay (expires_at);`,
  },
  {
    version: 8,
    name: 'session refresh claims',
    sql: (s) => `
      CREATE TABLE ${s}.session_refresh_claims (
        key text PRIMARY KEY,
        until bigint NOT NULL
      );`,
  },
];

/**
 * Applies pending migrations to `schema` (created if missing) and returns the versions applied.
 * @example
 * await migratePostgres(pool, 'restguard'); // [1, 2] the first time, [] afterwards
 */
export async function migratePostgres(pool: pg.Pool, schema: string): Promise<number[]> {
  const quotedSchema = quoteIdentifier(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quotedSchema}.schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${quotedSchema}.schema_migrations`,
    );
    const applied = new Set(rows.map((row) => row.version));
    const done: number[] = [];
    for (const migration of POSTGRES_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql(quotedSchema));
      await client.query(`INSERT INTO ${quotedSchema}.schema_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      done.push(migration.version);
    }
    await client.query('COMMIT');
    return done;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** A schema name: lowercase letters, digits and `_`, not starting with a digit, ≤ 63 characters. */
export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Quotes a validated identifier.
 * @example
 * quoteIdentifier('restguard'); // '"restguard"'
 */
export function quoteIdentifier(name: string): string {
  if (!SCHEMA_PATTERN.test(name)) throw new TypeError('Invalid identifier.');
  return `"${name}"`;
}
