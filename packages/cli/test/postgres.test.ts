/**
 * The CLI against a real PostgreSQL server (`TEST_DATABASE_URL`, set by the root test script): the
 * round trip in a fresh database, a named schema, and the proof that a `postgres:` run never loads
 * better-sqlite3. Without TEST_DATABASE_URL these tests fail; they never skip.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPostgresApiKeyStore } from '@restguard/store-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { beforeAllOrFail, expectRefused, run, TRACER, tempDir } from './helpers.js';
import { defineRoundTrip } from './round-trip.js';

/** The server's admin URL, or a failure that names what is missing. */
function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    throw new Error(
      'TEST_DATABASE_URL is not set: run the root test script, or point it at a PostgreSQL server.',
    );
  }
  return url;
}

/** Creates a fresh database on the test server; returns its URL and a function that drops it. */
async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  const name = `restguard_cli_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

defineRoundTrip('PostgreSQL', async () => {
  const database = await freshDatabase();
  return {
    url: database.url,
    open: async () => {
      const store = createPostgresApiKeyStore({ connectionString: database.url });
      await store.migrate();
      return store;
    },
    cleanup: database.drop,
  };
});

describe('PostgreSQL specifics', () => {
  let database: { url: string; drop: () => Promise<void> };
  const tmp = tempDir();
  beforeAllOrFail(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    tmp.remove();
    await database?.drop();
  });

  it('never creates restguard tables for list, revoke or rotate on a database without them', async () => {
    for (const args of [
      ['keys', 'list'],
      ['keys', 'revoke', 'key_abc'],
      ['keys', 'rotate', 'key_abc'],
    ]) {
      expectRefused(await run([...args, '--db', database.url]), /has no restguard API-key tables/);
    }
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'restguard'",
      );
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('loads pg but never better-sqlite3 for a postgres: database', async () => {
    const trace = join(tmp.dir, 'imports.txt');
    const result = await run(
      ['keys', 'create', '--db', database.url, '--name', 'lazy', '--permissions', 'read'],
      {
        nodeArgs: ['--import', TRACER],
        env: { TRACE_IMPORTS_FILE: trace },
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const urls = readFileSync(trace, 'utf8');
    expect(urls).toMatch(/\/node_modules\/(\.pnpm\/)?pg[@/]/);
    expect(urls).toMatch(/store-postgres/);
    expect(urls).not.toMatch(/better-sqlite3/);
    expect(urls).not.toMatch(/store-sqlite/);
  });

  it('keeps keys in the schema named by ?schema=, apart from the default one', async () => {
    const url = `${database.url}?schema=tenant_b`;
    const created = await run([
      'keys',
      'create',
      '--db',
      url,
      '--name',
      'tenant',
      '--permissions',
      'read',
      '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const inSchema = JSON.parse((await run(['keys', 'list', '--db', url, '--json'])).stdout) as {
      id: string;
    }[];
    expect(inSchema.map((key) => key.id)).toEqual([id]);
    const inDefault = JSON.parse((await run(['keys', 'list', '--db', database.url, '--json'])).stdout) as {
      id: string;
    }[];
    expect(inDefault.map((key) => key.id)).not.toContain(id);
  });

  it('refuses a database that does not exist and wrong credentials, with the driver code only', async () => {
    const missing = new URL(database.url);
    missing.pathname = '/restguard_cli_no_such_database';
    expectRefused(
      await run(['keys', 'list', '--db', missing.href]),
      /cannot use the database .*\(3D000\)\.$/m,
    );
    const wrongUser = new URL(database.url);
    wrongUser.username = 'no_such_role';
    wrongUser.password = 'hunter2-pw';
    const result = await run(['keys', 'list', '--db', wrongUser.href]);
    expectRefused(result, /\(28000\)|\(28P01\)/);
    expect(result.stderr).not.toContain('hunter2-pw');
  });
});
