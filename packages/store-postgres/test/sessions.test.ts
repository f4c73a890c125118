import { isRestguardError } from '@restguard/core';
import {
  expectClaimOnceWhileItLives,
  expectOneRefreshOnTwoInstances,
  nowSeconds,
  revocableSession,
} from '@restguard/test-support/sessions';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresApiKeyStore, type PostgresApiKeyStore } from '../src/index.js';
import { dropSchema, freshSchema, testDatabaseUrl } from './database.js';

const connectionString = testDatabaseUrl();
const opened: PostgresApiKeyStore[] = [];
const open = (schema = freshSchema(), url = connectionString) => {
  const store = createPostgresApiKeyStore({ connectionString: url, schema, connectionTimeoutMs: 2000 });
  opened.push(store);
  return store;
};
const sql = async (text: string, params: unknown[] = []) => {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
};
const now = nowSeconds;
const session = revocableSession;

afterEach(async () => {
  for (const store of opened.splice(0)) {
    await store.close();
    await dropSchema(store.schema);
  }
});

describe('PostgreSQL session revocation list', () => {
  it('ends a session on another instance at once, pushed by LISTEN/NOTIFY', async () => {
    const a = open();
    const b = open(a.schema);
    const one = session();
    const other = session();
    expect(await b.sessionRevocations().isRevoked(one)).toBe(false);
    await expect.poll(() => b.sessionRevocations().pushed, { timeout: 5000 }).toBe(true);
    const started = Date.now();
    await a.sessionRevocations().revoke({ id: one.id, at: now(), until: now() + 3600 });
    await expect
      .poll(() => b.sessionRevocations().isRevoked(one), { timeout: 1000, interval: 20 })
      .toBe(true);
    console.log(`session ended on another instance after ${Date.now() - started} ms (bound 1000 ms)`);
    expect(b.sessionRevocations().pushed).toBe(true);
    expect(await b.sessionRevocations().isRevoked(other)).toBe(false);
  });

  it('ends every session of a provider session (sid) and of a user begun before the logout (sub)', async () => {
    const a = open();
    const list = a.sessionRevocations();
    const byOp = session();
    await list.revoke({ sid: byOp.sid!, at: now(), until: now() + 3600 });
    expect(await list.isRevoked({ ...byOp, id: 'another-id' })).toBe(true);
    const before = session({ sub: 'bob', sid: undefined, createdAt: now() - 5 });
    const after = session({ sub: 'bob', sid: undefined, createdAt: now() + 5 });
    await list.revoke({ sub: 'bob', at: now(), until: now() + 3600 });
    expect(await list.isRevoked(before)).toBe(true);
    expect(await list.isRevoked(after)).toBe(false);
    // The same answers from a second instance, with and without its pushed mirror.
    const b = open(a.schema).sessionRevocations();
    expect([await b.isRevoked(before), await b.isRevoked(after), await b.isRevoked(byOp)]).toEqual([
      true,
      false,
      true,
    ]);
    await expect.poll(() => b.pushed, { timeout: 5000 }).toBe(true);
    expect([await b.isRevoked(before), await b.isRevoked(after), await b.isRevoked(byOp)]).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('forgets entries past their until, and deletes them', async () => {
    const a = open();
    const list = a.sessionRevocations();
    const old = session();
    await list.revoke({ id: old.id, at: now() - 100, until: now() - 1 });
    expect(await list.isRevoked(old)).toBe(false);
    await list.revoke({ id: 'trigger-purge', at: now(), until: now() + 60 });
    const rows = await sql(`SELECT value FROM "${a.schema}".session_revocations ORDER BY value`);
    expect(rows.map((row) => row.value)).toEqual(['trigger-purge']);
  });

  it('applies revocations made while its LISTEN connection was cut, once it reconnects', async () => {
    const a = open();
    const b = open(a.schema);
    const one = session();
    await b.sessionRevocations().isRevoked(one);
    await expect.poll(() => b.sessionRevocations().pushed, { timeout: 5000 }).toBe(true);
    const killed = await sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
      [`restguard sessions ${a.schema}`.slice(0, 63)],
    );
    expect(killed.length).toBeGreaterThan(0);
    await a.sessionRevocations().revoke({ id: one.id, at: now(), until: now() + 3600 });
    // Whether b noticed the cut yet or not, it never answers from a stale mirror for long.
    await expect.poll(() => b.sessionRevocations().isRevoked(one), { timeout: 5000 }).toBe(true);
    await expect.poll(() => b.sessionRevocations().pushed, { timeout: 5000 }).toBe(true);
    expect(await b.sessionRevocations().isRevoked(one)).toBe(true);
  });

  it('rejects with ERR_UNAVAILABLE (never a pass) when the database is unreachable', async () => {
    const url = new URL(connectionString);
    url.port = '1';
    const down = open(freshSchema(), url.toString()).sessionRevocations();
    const error = await down.isRevoked(session()).catch((err: unknown) => err);
    expect(isRestguardError(error) && error.code).toBe('ERR_UNAVAILABLE');
    const revokeError = await down
      .revoke({ id: 'x', at: now(), until: now() + 60 })
      .catch((err: unknown) => err);
    expect(isRestguardError(revokeError) && revokeError.code).toBe('ERR_UNAVAILABLE');
    opened.pop();
    await down.close();
  });
});

describe('PostgreSQL refresh claim', () => {
  it('lets one of two instances on one database refresh a session due on both at once; the session lives on (fails without the claim)', async () => {
    const schema = freshSchema();
    const [a, b] = [open(schema), open(schema)];
    await a.migrate();
    await expectOneRefreshOnTwoInstances([a.sessionRevocations(), b.sessionRevocations()]);
  });

  it('claims a key once while it lives, and again once it has lapsed', async () => {
    const schema = freshSchema();
    const [a, b] = [open(schema), open(schema)];
    await expectClaimOnceWhileItLives(a.sessionRevocations(), b.sessionRevocations());
  });
});
