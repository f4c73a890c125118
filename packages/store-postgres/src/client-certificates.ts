/**
 * `createPostgresClientCertificateStore`: the rules that let verified client certificates in as
 * principals (core's `ClientCertificateStore`), in the API keys' schema (migration version 5), for
 * many instances: every lookup reads the shared table, so a rule revoked anywhere is refused
 * everywhere on the next request.
 */
import {
  type ClientCertificateMatch,
  type ClientCertificateRule,
  type ClientCertificateStore,
  ConfigInvalidError,
  UnavailableError,
} from '@restguard/core';
import pg from 'pg';
import { migratePostgres, quoteIdentifier, SCHEMA_PATTERN } from './migrations.js';

/** Options for {@link createPostgresClientCertificateStore}. */
export interface PostgresClientCertificateStoreOptions {
  /** `postgres://…` */
  connectionString: string;
  /** The API keys' schema. Default `restguard`. */
  schema?: string;
  /** Run migrations on first use. Default true; `false` leaves the database as it is (read-only tools). */
  autoMigrate?: boolean;
}

interface Row {
  id: string;
  name: string;
  match: ClientCertificateMatch;
  value: string;
  permissions: string[];
  created_at: Date;
  revoked_at: Date | null;
}

const fromRow = (row: Row): ClientCertificateRule => ({
  id: row.id,
  name: row.name,
  match: row.match,
  value: row.value,
  permissions: [...row.permissions],
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/**
 * Creates the store; nothing connects until first use, and the schema is migrated then.
 * @example
 * import { createPostgresClientCertificateStore } from '@restguard/store-postgres';
 * const store = createPostgresClientCertificateStore({ connectionString: process.env.DATABASE_URL! });
 * const guard = createGuard({ clientCertificates: { store }, tokens });
 */
export function createPostgresClientCertificateStore(
  options: PostgresClientCertificateStoreOptions,
): ClientCertificateStore {
  if (
    typeof options.connectionString !== 'string' ||
    !/^postgres(?:ql)?:\/\//.test(options.connectionString)
  ) {
    throw new ConfigInvalidError('A postgres:// connection string is required.');
  }
  const schema = options.schema ?? 'restguard';
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new ConfigInvalidError('A schema name must be lowercase letters, digits and "_" (at most 63).');
  }
  const table = `${quoteIdentifier(schema)}.client_certificates`;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: 4,
    connectionTimeoutMillis: 5000,
    statement_timeout: 5000,
    application_name: 'restguard client certificates',
  });
  pool.on('error', () => undefined);
  let ready: Promise<unknown> | undefined;
  const run = async <T>(work: () => Promise<T>, unique = false): Promise<T> => {
    try {
      ready ??= (options.autoMigrate === false ? Promise.resolve() : migratePostgres(pool, schema)).catch(
        (err: unknown) => {
          ready = undefined;
          throw err;
        },
      );
      await ready;
      return await work();
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      if (unique && code === '23505') {
        throw new Error('An active rule already allows this certificate (or the id exists).', { cause: err });
      }
      throw new UnavailableError('The client-certificate store is unavailable.', { cause: err });
    }
  };
  const rows = async (sql: string, params: unknown[] = []) => (await pool.query<Row>(sql, params)).rows;
  return {
    migrate: () =>
      run(async () => {
        await migratePostgres(pool, schema);
      }),
    insert: (rule) =>
      run(async () => {
        await pool.query(
          `INSERT INTO ${table} (id, name, match, value, permissions, created_at, revoked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [rule.id, rule.name, rule.match, rule.value, rule.permissions, rule.createdAt, rule.revokedAt],
        );
      }, true),
    findActive: (keys) =>
      run(async () => {
        if (keys.length === 0) return [];
        const found = await rows(
          `SELECT * FROM ${table} WHERE revoked_at IS NULL
             AND (match, value) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
          [keys.map((k) => k.match), keys.map((k) => k.value)],
        );
        return found.map(fromRow);
      }),
    list: (listOptions = {}) =>
      run(async () =>
        (
          await rows(
            `SELECT * FROM ${table} ${listOptions.includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`,
          )
        ).map(fromRow),
      ),
    revoke: (id, at) =>
      run(async () => {
        const found = await rows(`SELECT id FROM ${table} WHERE id = $1`, [id]);
        if (found.length === 0) return false;
        await pool.query(`UPDATE ${table} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [
          id,
          at,
        ]);
        return true;
      }),
    async close() {
      await pool.end();
    },
  };
}
