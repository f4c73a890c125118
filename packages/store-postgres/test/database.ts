/** Test helpers: the PostgreSQL server started by the test command, and a fresh schema per use. */
import pg from 'pg';

/** `TEST_DATABASE_URL`, or a failure (never a skip) when it is missing. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    throw new Error('TEST_DATABASE_URL is not set: run the tests through `npm test` (it starts PostgreSQL).');
  }
  return url;
}

/** A schema name nobody else uses. */
export function freshSchema(): string {
  return `rg_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Drops a schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
