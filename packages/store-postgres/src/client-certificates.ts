/**
 * `createPostgresClientCertificateStore`: the rules that let verified client certificates in as
 * principals (core's `ClientCertificateStore`), in the API keys' schema (migration version 5), for
 * many instances: every lookup reads the shared table, so a rule revoked anywhere is refused
 * everywhere on the next request.
 */
import {
  type ClientCertificateColumns,
  type ClientCertificateRule,
  type ClientCertificateStore,
  ConfigInvalidError,
  clientCertificateRuleFromColumns,
  clientCertificateStoreError,
  databaseErrorCode,
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

/** What one client-certificate store keeps between calls. */
interface RuleStoreContext {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** The quoted table name. */
  readonly table: string;
  readonly autoMigrate: boolean;
  ready: Promise<unknown> | undefined;
}

function createContext(options: PostgresClientCertificateStoreOptions): RuleStoreContext {
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
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: 4,
    connectionTimeoutMillis: 5000,
    statement_timeout: 5000,
    application_name: 'restguard client certificates',
  });
  pool.on('error', () => undefined);
  const table = `${quoteIdentifier(schema)}.client_certificates`;
  return { pool, schema, table, autoMigrate: options.autoMigrate !== false, ready: undefined };
}

/** Runs a call after the migrations; a duplicate active rule (only where `unique`) or any failure rejects. */
async function run<T>(context: RuleStoreContext, work: () => Promise<T>, unique = false): Promise<T> {
  try {
    context.ready ??= (
      context.autoMigrate ? migratePostgres(context.pool, context.schema) : Promise.resolve()
    ).catch((err: unknown) => {
      context.ready = undefined;
      throw err;
    });
    await context.ready;
    return await work();
  } catch (err) {
    throw clientCertificateStoreError(err, unique && databaseErrorCode(err) === '23505');
  }
}

async function selectRules(context: RuleStoreContext, sql: string, params: unknown[] = []) {
  return (await context.pool.query<ClientCertificateColumns>(sql, params)).rows.map(
    clientCertificateRuleFromColumns,
  );
}

async function insertRule(context: RuleStoreContext, rule: ClientCertificateRule): Promise<void> {
  await context.pool.query(
    `INSERT INTO ${context.table} (id, name, match, value, permissions, created_at, revoked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [rule.id, rule.name, rule.match, rule.value, rule.permissions, rule.createdAt, rule.revokedAt],
  );
}

async function findActiveRules(
  context: RuleStoreContext,
  keys: Parameters<ClientCertificateStore['findActive']>[0],
) {
  if (keys.length === 0) return [];
  return selectRules(
    context,
    `SELECT * FROM ${context.table} WHERE revoked_at IS NULL
             AND (match, value) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [keys.map((key) => key.match), keys.map((key) => key.value)],
  );
}

async function revokeRule(context: RuleStoreContext, id: string, at: Date): Promise<boolean> {
  const found = await context.pool.query(`SELECT id FROM ${context.table} WHERE id = $1`, [id]);
  if (found.rows.length === 0) return false;
  await context.pool.query(
    `UPDATE ${context.table} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`,
    [id, at],
  );
  return true;
}

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
  const context = createContext(options);
  return {
    migrate: () =>
      run(context, async () => {
        await migratePostgres(context.pool, context.schema);
      }),
    insert: (rule) => run(context, () => insertRule(context, rule), true),
    findActive: (keys) => run(context, () => findActiveRules(context, keys)),
    list: (listOptions = {}) =>
      run(context, () =>
        selectRules(
          context,
          `SELECT * FROM ${context.table} ${listOptions.includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`,
        ),
      ),
    revoke: (id, at) => run(context, () => revokeRule(context, id, at)),
    async close() {
      await context.pool.end();
    },
  };
}
