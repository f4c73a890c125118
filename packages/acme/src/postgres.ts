/**
 * ACME storage in PostgreSQL for many instances (`@restguard/acme/postgres`): one row per managed
 * name set holds the account key and the certificate; an order runs under a session advisory lock
 * (`pg_advisory_lock`), so of N instances one orders and the others find its certificate when they
 * get the lock; a saved certificate is announced with NOTIFY and every instance LISTENs, loading it
 * at once. HTTP-01 key authorizations are shared too, so any instance behind a load balancer
 * answers the CA. Private keys are stored as they are: protect the database like the key files.
 */
import pg from 'pg';
import type { AcmeStorage, StoredCertificate } from './storage.js';

/** The NOTIFY channel; the payload is the storage's `name`. */
export const ACME_POSTGRES_CHANNEL = 'restguard_acme';
const SCHEMA_VERSION = 1;

/** Options of {@link createPostgresAcmeStorage}. */
export interface PostgresAcmeStorageOptions {
  /** `postgres://…` */
  readonly connectionString: string;
  /** What this storage's row is called; instances serving the same site share it. Default `default`. */
  readonly name?: string;
}

const MIGRATION = `
CREATE TABLE IF NOT EXISTS restguard_acme_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS restguard_acme_state (
  name text PRIMARY KEY,
  account_key_pem text,
  certificate_pem text,
  certificate_key_pem text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS restguard_acme_challenges (
  token text PRIMARY KEY,
  key_authorization text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO restguard_acme_migrations (version) VALUES (${SCHEMA_VERSION}) ON CONFLICT DO NOTHING;`;

/**
 * Creates the PostgreSQL storage; its tables are created (migration version 1) on first use.
 * @example
 * import { createPostgresAcmeStorage } from '@restguard/acme/postgres';
 * const storage = createPostgresAcmeStorage({ connectionString: process.env.DATABASE_URL!, name: 'notes' });
 * const manager = createAcmeManager({ ...options, storage });
 */
export function createPostgresAcmeStorage(options: PostgresAcmeStorageOptions): AcmeStorage {
  const name = options.name ?? 'default';
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 4 });
  pool.on('error', () => undefined);
  const migrate = createMigration(pool, name);
  const query = async (text: string, values: unknown[]) => {
    await migrate();
    return pool.query(text, values);
  };
  const watch = createCertificateWatch(options.connectionString, name);
  return {
    ...certificateStorage(pool, name, migrate, query),
    watchCertificate: (notify) => watch.add(notify),
    ...challengeStorage(query),
    async close() {
      await watch.stop();
      await pool.end();
    },
  };
}

type Query = (text: string, values: unknown[]) => Promise<pg.QueryResult>;

/** Runs `work` in one transaction on one pooled connection; rolls back when it throws. */
async function inTransaction(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The tables and this storage's row, created once under a transaction lock (retried after a failure). */
function createMigration(pool: pg.Pool, name: string): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () =>
    (ready ??= inTransaction(pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('restguard_acme_migrations'))`);
      await client.query(MIGRATION);
      await client.query('INSERT INTO restguard_acme_state (name) VALUES ($1) ON CONFLICT DO NOTHING', [
        name,
      ]);
    }).catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));
}

/** The account key, the certificate (saved with a NOTIFY) and the order lock, in this storage's row. */
function certificateStorage(
  pool: pg.Pool,
  name: string,
  migrate: () => Promise<void>,
  query: Query,
): Pick<
  AcmeStorage,
  'loadAccountKey' | 'saveAccountKey' | 'loadCertificate' | 'saveCertificate' | 'withOrderLock'
> {
  return {
    async loadAccountKey() {
      const { rows } = await query('SELECT account_key_pem FROM restguard_acme_state WHERE name = $1', [
        name,
      ]);
      return (rows[0]?.account_key_pem as string | null) ?? undefined;
    },
    async saveAccountKey(keyPem) {
      // The first key saved by any instance wins; the manager reads it back.
      await query(
        'UPDATE restguard_acme_state SET account_key_pem = $2 WHERE name = $1 AND account_key_pem IS NULL',
        [name, keyPem],
      );
    },
    async loadCertificate(): Promise<StoredCertificate | undefined> {
      const { rows } = await query(
        'SELECT certificate_pem, certificate_key_pem FROM restguard_acme_state WHERE name = $1',
        [name],
      );
      const row = rows[0] as
        | { certificate_pem: string | null; certificate_key_pem: string | null }
        | undefined;
      return row?.certificate_pem && row.certificate_key_pem
        ? { certPem: row.certificate_pem, keyPem: row.certificate_key_pem }
        : undefined;
    },
    async saveCertificate({ certPem, keyPem }) {
      await migrate();
      await inTransaction(pool, async (client) => {
        await client.query(
          'UPDATE restguard_acme_state SET certificate_pem = $2, certificate_key_pem = $3, updated_at = now() WHERE name = $1',
          [name, certPem, keyPem],
        );
        await client.query('SELECT pg_notify($1, $2)', [ACME_POSTGRES_CHANNEL, name]);
      });
    },
    withOrderLock: async (work) => withOrderLock(pool, name, migrate, work),
  };
}

/** Runs `work` under a session advisory lock on this storage's name. */
async function withOrderLock<T>(
  pool: pg.Pool,
  name: string,
  migrate: () => Promise<void>,
  work: () => Promise<T>,
): Promise<T> {
  await migrate();
  const client = await pool.connect();
  const key = `restguard_acme_order:${name}`;
  try {
    // A session lock: released by the unlock below, or by PostgreSQL if this connection dies.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    }
  } finally {
    client.release();
  }
}

/** HTTP-01 key authorizations shared by every instance (kept for an hour). */
function challengeStorage(
  query: Query,
): Pick<AcmeStorage, 'saveChallenge' | 'loadChallenge' | 'deleteChallenge'> {
  return {
    async saveChallenge(token, keyAuthorization) {
      await query(
        `INSERT INTO restguard_acme_challenges (token, key_authorization) VALUES ($1, $2)
         ON CONFLICT (token) DO UPDATE SET key_authorization = EXCLUDED.key_authorization`,
        [token, keyAuthorization],
      );
    },
    async loadChallenge(token) {
      const { rows } = await query(
        `SELECT key_authorization FROM restguard_acme_challenges WHERE token = $1 AND created_at > now() - interval '1 hour'`,
        [token],
      );
      return (rows[0]?.key_authorization as string | undefined) ?? undefined;
    },
    async deleteChallenge(token) {
      await query('DELETE FROM restguard_acme_challenges WHERE token = $1', [token]);
    },
  };
}

/**
 * One LISTEN connection (opened with the first watcher, reconnected with backoff) that tells every
 * watcher when a certificate for this name was saved, and once after each (re)connection.
 */
function createCertificateWatch(connectionString: string, name: string) {
  const listeners = new Set<() => void>();
  let listener: pg.Client | undefined;
  let stopped = false;
  let delay = 100;
  const notifyAll = () => {
    for (const notify of listeners) notify();
  };
  const listen = async () => {
    const client = new pg.Client({ connectionString, keepAlive: true });
    listener = client;
    const again = () => {
      if (stopped || listener !== client) return;
      listener = undefined;
      setTimeout(() => void listen(), delay).unref();
      delay = Math.min(delay * 2, 5000);
    };
    client.on('error', () => {
      void client.end().catch(() => undefined);
      again();
    });
    client.on('end', again);
    client.on('notification', (message) => {
      if (message.channel === ACME_POSTGRES_CHANNEL && message.payload === name) notifyAll();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ACME_POSTGRES_CHANNEL}`);
      delay = 100;
      // Anything saved while this connection was away: let the manager look once.
      notifyAll();
    } catch {
      void client.end().catch(() => undefined);
      again();
    }
  };
  return {
    add(notify: () => void): () => void {
      listeners.add(notify);
      if (!listener && !stopped) void listen();
      return () => {
        listeners.delete(notify);
      };
    },
    async stop(): Promise<void> {
      stopped = true;
      listeners.clear();
      const current = listener;
      listener = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
