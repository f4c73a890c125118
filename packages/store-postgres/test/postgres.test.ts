import {
  type ApiKeyStoreChange,
  createApiKey,
  createApiKeyVerifier,
  isRestguardError,
} from '@restguard/core';
import { makeRecord } from '@restguard/store-conformance';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPostgresApiKeyStore, migratePostgres, type PostgresApiKeyStore } from '../src/index.js';
import { dropSchema, freshSchema, testDatabaseUrl } from './database.js';

const connectionString = testDatabaseUrl();
const opened: PostgresApiKeyStore[] = [];
const open = (schema = freshSchema()) => {
  const store = createPostgresApiKeyStore({ connectionString, schema });
  opened.push(store);
  return store;
};
const sql = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []) => {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
};
const code = (err: unknown) => (isRestguardError(err) ? err.code : err);

afterEach(async () => {
  for (const store of opened.splice(0)) {
    await store.close();
    await dropSchema(store.schema);
  }
});

describe('PostgreSQL store specifics', () => {
  it('records its migrations in its own schema and has a usable unique index on hash', async () => {
    const store = open();
    await store.migrate();
    const versions = await sql<{ version: number }>(
      `SELECT version FROM "${store.schema}".schema_migrations ORDER BY 1`,
    );
    expect(versions.map((row) => row.version)).toEqual([1, 2, 3, 4, 5, 6, 8]);
    const pool = new pg.Pool({ connectionString, max: 1 });
    expect(await migratePostgres(pool, store.schema)).toEqual([]);
    const client = await pool.connect();
    await client.query('SET enable_seqscan = off');
    const plan = await client.query(`EXPLAIN SELECT * FROM "${store.schema}".api_keys WHERE hash = 'x'`);
    expect(JSON.stringify(plan.rows)).toContain('api_keys_hash');
    client.release();
    await pool.end();
  });

  it('answers UnavailableError when the server cannot be reached, and the verifier 503s', async () => {
    const port = await new Promise<number>((resolve) => {
      import('node:net').then(({ createServer }) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port: free } = server.address() as { port: number };
          server.close(() => resolve(free));
        });
      });
    });
    const down = createPostgresApiKeyStore({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    });
    expect(code(await down.findByHash('x').catch((e: unknown) => e))).toBe('ERR_UNAVAILABLE');
    const { key } = await createApiKey(open(), { name: 'k', permissions: ['read'] });
    const verifier = createApiKeyVerifier({ store: down });
    expect(code(await verifier.verify(key).catch((e: unknown) => e))).toBe('ERR_UNAVAILABLE');
    await verifier.close();
    await down.close();
  });

  it('pushes a revocation made by any tool (a plain SQL UPDATE) through NOTIFY', async () => {
    const store = open();
    const { record } = await makeRecord();
    await store.insert(record);
    const seen: ApiKeyStoreChange[] = [];
    const stop = store.subscribe((change) => seen.push(change));
    await vi.waitFor(() => expect(seen).toContainEqual({ id: '*', reset: true }), { timeout: 10_000 });
    await sql(`UPDATE "${store.schema}".api_keys SET revoked_at = now() WHERE id = $1`, [record.id]);
    await vi.waitFor(() => expect(seen).toContainEqual({ id: record.id, hash: record.hash }), {
      timeout: 10_000,
    });
    stop();
  });

  it('reconnects its listener after the connection is killed and keeps pushing revocations', async () => {
    const store = open();
    const other = open(store.schema);
    const { record } = await makeRecord();
    await store.insert(record);
    const seen: ApiKeyStoreChange[] = [];
    const stop = store.subscribe((change) => seen.push(change));
    await vi.waitFor(() => expect(seen).toContainEqual({ id: '*', reset: true }), { timeout: 10_000 });
    const killed = await sql<{ ok: boolean }>(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
      [`restguard listener ${store.schema}`],
    );
    expect(killed.length).toBeGreaterThan(0);
    seen.length = 0;
    await vi.waitFor(() => expect(seen).toContainEqual({ id: '*', reset: true }), { timeout: 10_000 });
    await other.revoke(record.id, new Date());
    await vi.waitFor(() => expect(seen.filter((c) => c.id === record.id).length).toBeGreaterThan(0), {
      timeout: 10_000,
    });
    stop();
  });

  it("works on the application's own pg.Pool, pushes revocations, and leaves the pool open on close", async () => {
    const appPool = new pg.Pool({ connectionString, max: 2 });
    const store = createPostgresApiKeyStore({ pool: appPool, schema: freshSchema() });
    try {
      const issued = await createApiKey(store, { name: 'shared', permissions: ['read'] });
      const verifier = createApiKeyVerifier({ store });
      expect((await verifier.verify(issued.key)).apiKey?.id).toBe(issued.record.id);
      const { record } = await makeRecord();
      await store.insert(record);
      const seen: ApiKeyStoreChange[] = [];
      const stop = store.subscribe((change) => seen.push(change));
      await vi.waitFor(() => expect(seen).toContainEqual({ id: '*', reset: true }), { timeout: 10_000 });
      await appPool.query(`UPDATE "${store.schema}".api_keys SET revoked_at = now() WHERE id = $1`, [
        record.id,
      ]);
      await vi.waitFor(() => expect(seen).toContainEqual({ id: record.id, hash: record.hash }), {
        timeout: 10_000,
      });
      stop();
      await verifier.close();
      await store.close();
      expect((await appPool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await dropSchema(store.schema);
      await appPool.end();
    }
  });

  it('refuses bad options at construction', () => {
    expect(() => createPostgresApiKeyStore({ connectionString: 'mysql://x' })).toThrow();
    expect(() => createPostgresApiKeyStore({})).toThrow(/connection string/);
    expect(() => createPostgresApiKeyStore({ pool: {} as pg.Pool })).toThrow(/pg.Pool/);
    const pool = new pg.Pool({ connectionString });
    expect(() => createPostgresApiKeyStore({ pool, connectionString })).toThrow(/not both/);
    void pool.end();
    expect(() => createPostgresApiKeyStore({ connectionString, schema: 'Bad-Schema' })).toThrow();
  });
});
