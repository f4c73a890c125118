/**
 * The PostgreSQL replay store on the real server (`TEST_DATABASE_URL`): first claim wins, atomically
 * across pools, an expired key can be claimed again, a proof replayed against a second instance is
 * refused, and an unreachable database is a 503.
 */
import {
  expectReplayRefusedBySecondGuard,
  type SharedReplayGuards,
  startGuardsSharingReplayStore,
} from '@restguard/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresReplayStore } from '../src/index.js';
import { dropSchema, freshSchema, testDatabaseUrl } from './database.js';

const connectionString = testDatabaseUrl();
const schema = freshSchema();
const stores: ReturnType<typeof createPostgresReplayStore>[] = [];
const open = () => {
  const store = createPostgresReplayStore({ connectionString, schema });
  stores.push(store);
  return store;
};
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await dropSchema(schema);
});

describe('createPostgresReplayStore', () => {
  it('lets the first claim of a key win, once', async () => {
    const store = open();
    expect(await store.claim('k1', 30)).toBe(true);
    expect(await store.claim('k1', 30)).toBe(false);
    expect(await store.claim('k2', 30)).toBe(true);
  });

  it('is atomic: of 20 concurrent claims on two pools, exactly one wins', async () => {
    const [a, b] = [open(), open()];
    await Promise.all([a.claim('warm-a', 5), b.claim('warm-b', 5)]);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim('race', 30)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('lets a key whose lifetime ended be claimed again', async () => {
    const store = open();
    expect(await store.claim('old', 30)).toBe(true);
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await client.query(
        `UPDATE "${schema}".dpop_replay SET expires_at = now() - interval '1 second' WHERE key = 'old'`,
      );
    } finally {
      await client.end();
    }
    expect(await store.claim('old', 30)).toBe(true);
    expect(await store.claim('old', 30)).toBe(false);
  });

  it('fails with ERR_UNAVAILABLE when the database cannot be reached', async () => {
    const store = createPostgresReplayStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      timeoutMs: 1000,
    });
    await expect(store.claim('x', 5)).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    await store.close();
  });
});

describe('two instances sharing PostgreSQL', () => {
  let shared: SharedReplayGuards;
  beforeAll(async () => {
    shared = await startGuardsSharingReplayStore(open);
  });
  afterAll(() => shared.close());

  it('refuses on the second instance a proof the first accepted', async () => {
    await expectReplayRefusedBySecondGuard(shared);
  });
});
