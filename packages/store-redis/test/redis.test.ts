/**
 * The Redis replay store against a real redis-server (`TEST_REDIS_URL`, started by the test command):
 * atomic first-claim-wins, expiry set on the key, a proof replayed against a second instance refused,
 * and an unreachable Redis answered with 503, never a pass.
 */
import {
  expectReplayRefusedBySecondGuard,
  type SharedReplayGuards,
  startGuardsSharingReplayStore,
} from '@restguard/test-support';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisReplayStore } from '../src/index.js';

function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the tests through `npm test` (it starts Redis).');
  return url;
}

const prefix = `rg-test:${process.pid}:${Math.random().toString(36).slice(2)}:`;
const raw = createClient({ url: testRedisUrl() });
beforeAll(() => raw.connect());
afterAll(async () => {
  for await (const keys of raw.scanIterator({ MATCH: `${prefix}*` })) if (keys.length) await raw.del(keys);
  await raw.close();
});

describe('createRedisReplayStore', () => {
  it('lets the first claim of a key win, once, with the expiry on the key', async () => {
    const store = createRedisReplayStore({ url: testRedisUrl(), prefix });
    try {
      expect(await store.claim('k1', 30)).toBe(true);
      expect(await store.claim('k1', 30)).toBe(false);
      expect(await store.claim('k2', 30)).toBe(true);
      const ttl = await raw.pTTL(`${prefix}k1`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);
    } finally {
      await store.close();
    }
  });

  it('is atomic: of 20 concurrent claims on two connections, exactly one wins', async () => {
    const [a, b] = [
      createRedisReplayStore({ url: testRedisUrl(), prefix }),
      createRedisReplayStore({ url: testRedisUrl(), prefix }),
    ];
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim('race', 30)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('uses a client you pass in (and leaves it open)', async () => {
    const store = createRedisReplayStore({ client: raw, prefix });
    expect(await store.claim('own-client', 5)).toBe(true);
    expect(await store.claim('own-client', 5)).toBe(false);
    await store.close();
    expect(raw.isReady).toBe(true);
  });

  it('fails with ERR_UNAVAILABLE when Redis cannot be reached', async () => {
    const store = createRedisReplayStore({ url: 'redis://127.0.0.1:1/0', connectTimeoutMs: 500 });
    await expect(store.claim('x', 5)).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    await store.close();
  });
});

describe('two instances sharing Redis', () => {
  let shared: SharedReplayGuards;
  const stores: ReturnType<typeof createRedisReplayStore>[] = [];
  beforeAll(async () => {
    shared = await startGuardsSharingReplayStore(() => {
      const replayStore = createRedisReplayStore({ url: testRedisUrl(), prefix });
      stores.push(replayStore);
      return replayStore;
    });
  });
  afterAll(async () => {
    await shared.close();
    await Promise.all(stores.map((store) => store.close()));
  });

  it('refuses on the second instance a proof the first accepted', async () => {
    await expectReplayRefusedBySecondGuard(shared);
  });
});
