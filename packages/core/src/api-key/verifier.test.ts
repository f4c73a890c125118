import { describe, expect, it, vi } from 'vitest';
import { ApiKeyInvalidError, ConfigInvalidError, UnavailableError } from '../errors.js';
import { generateApiKey } from './format.js';
import { createApiKey, revokeApiKey } from './manage.js';
import { createMemoryApiKeyStore } from './memory-store.js';
import type { ApiKeyStore, ApiKeyStoreChange } from './store.js';
import { createApiKeyVerifier } from './verifier.js';

/** A memory store that counts lookups and lets the test push changes (as another process would). */
function observedStore(inner: ApiKeyStore = createMemoryApiKeyStore()) {
  const calls = { findByHash: 0 };
  let push: (change: ApiKeyStoreChange) => void = () => {};
  let gate: Promise<void> | undefined;
  let onRead = () => {};
  const store: ApiKeyStore = {
    ...inner,
    async findByHash(hash) {
      calls.findByHash++;
      const result = await inner.findByHash(hash);
      onRead();
      await gate;
      return result;
    },
    subscribe(listener) {
      push = listener;
      return () => {
        push = () => {};
      };
    },
  };
  return {
    store,
    calls,
    push: (change: ApiKeyStoreChange) => push(change),
    /** Holds lookups after they read; resolves `read` once one has. */
    hold: () => {
      let release = () => {};
      gate = new Promise((resolve) => {
        release = resolve;
      });
      const read = new Promise<void>((resolve) => {
        onRead = resolve;
      });
      return {
        read,
        release: () => {
          gate = undefined;
          release();
        },
      };
    },
  };
}
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (err: unknown) => err,
  );

describe('API-key verifier', () => {
  it('tells keys apart from JWTs and refuses malformed or foreign keys without touching the store', async () => {
    const { store, calls } = observedStore();
    const verifier = createApiKeyVerifier({ store, prefix: 'rg_live' });
    const key = generateApiKey('rg_live');
    expect(verifier.isApiKey(key)).toBe(true);
    expect(verifier.isApiKey('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln')).toBe(false);
    expect(verifier.isApiKey(generateApiKey('rg_test'))).toBe(false);
    const typo = key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a');
    for (const bad of [typo, generateApiKey('rg_test'), 'rg_live_short', 'eyJ.x.y']) {
      expect(await refusal(verifier.verify(bad))).toBeInstanceOf(ApiKeyInvalidError);
    }
    expect(calls.findByHash).toBe(0);
    await verifier.close();
  });

  it('keeps 100,000 distinct unknown keys at the negative cache cap', async () => {
    const { store, calls } = observedStore();
    const verifier = createApiKeyVerifier({ store, cache: { negativeMaxEntries: 5000, maxEntries: 100 } });
    const { key } = await createApiKey(store, { name: 'real', permissions: ['read'] });
    await verifier.verify(key);
    let refused = 0;
    for (let i = 0; i < 100_000; i++) {
      await verifier.verify(generateApiKey()).catch((err) => {
        if (err instanceof ApiKeyInvalidError) refused++;
      });
    }
    expect(refused).toBe(100_000);
    expect(verifier.stats()).toMatchObject({ entries: 1, negativeEntries: 5000 });
    expect(calls.findByHash).toBe(100_001);
    await verifier.close();
  }, 120_000);

  it('counts the record and principal a cached key keeps against cache.maxBytes', async () => {
    const { store, calls } = observedStore();
    const verifier = createApiKeyVerifier({ store, cache: { maxBytes: 4 * 1024 } });
    const small = await createApiKey(store, { name: 'small', permissions: ['read'] });
    const big = await createApiKey(store, {
      name: 'big',
      permissions: ['read'],
      metadata: { notes: 'x'.repeat(6000) },
    });
    await verifier.verify(small.key);
    await verifier.verify(small.key);
    expect(calls.findByHash).toBe(1);
    const { bytes } = verifier.stats();
    expect(bytes).toBeGreaterThan(small.key.length);
    expect(bytes).toBeLessThanOrEqual(4 * 1024);
    await verifier.verify(big.key);
    await verifier.verify(big.key);
    expect(calls.findByHash).toBe(3); // its metadata alone is over the bound: never cached
    expect(verifier.stats()).toMatchObject({ entries: 1, bytes });
    await verifier.close();
  });

  it('asks the store once for a repeated unknown key and once for a known key', async () => {
    const { store, calls } = observedStore();
    const verifier = createApiKeyVerifier({ store });
    const unknown = generateApiKey();
    const { key } = await createApiKey(store, { name: 'k', permissions: ['read'] });
    for (let i = 0; i < 5; i++) {
      await expect(verifier.verify(unknown)).rejects.toBeInstanceOf(ApiKeyInvalidError);
      await verifier.verify(key);
    }
    await Promise.all(Array.from({ length: 10 }, () => verifier.verify(key)));
    expect(calls.findByHash).toBe(2);
    await verifier.close();
  });

  it('drops a cached key when the store pushes its change, and only then', async () => {
    const { store, push } = observedStore();
    const verifier = createApiKeyVerifier({ store });
    const { record, key } = await createApiKey(store, { name: 'k', permissions: ['read'] });
    await verifier.verify(key);
    await revokeApiKey(store, record.id); // written without the push reaching the verifier
    expect((await verifier.verify(key)).apiKey?.id).toBe(record.id);
    push({ id: record.id });
    expect(await refusal(verifier.verify(key))).toBeInstanceOf(ApiKeyInvalidError);
    await verifier.close();
  });

  it('does not cache a lookup that raced with a pushed change', async () => {
    const { store, push, hold } = observedStore();
    const verifier = createApiKeyVerifier({ store });
    const { record, key } = await createApiKey(store, { name: 'k', permissions: ['read'] });
    const held = hold();
    const pending = verifier.verify(key);
    await held.read;
    await revokeApiKey(store, record.id);
    push({ id: record.id });
    held.release();
    expect((await pending).apiKey?.id).toBe(record.id); // read before the revocation: this one passes…
    expect(await refusal(verifier.verify(key))).toBeInstanceOf(ApiKeyInvalidError); // …the next may not
    await verifier.close();
  });

  it('expires cache entries after their TTL and refuses expired keys', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const { store, calls } = observedStore();
    const verifier = createApiKeyVerifier({ store, now: () => now, cache: { ttlSeconds: 10 } });
    const { key } = await createApiKey(store, {
      name: 'k',
      permissions: ['read'],
      expiresAt: new Date('2026-01-01T00:01:00Z'),
      now,
    });
    await verifier.verify(key);
    now = new Date('2026-01-01T00:00:11Z');
    await verifier.verify(key);
    expect(calls.findByHash).toBe(2);
    now = new Date('2026-01-01T00:01:00Z');
    const err = await refusal(verifier.verify(key));
    expect(err).toBeInstanceOf(ApiKeyInvalidError);
    expect((err as Error).message).toBe('The API key has expired.');
    await verifier.close();
  });

  it('answers UnavailableError when the store throws, never a principal', async () => {
    const { store } = observedStore();
    const verifier = createApiKeyVerifier({ store, cache: false });
    const { key } = await createApiKey(store, { name: 'k', permissions: ['read'] });
    const broken: ApiKeyStore = { ...store, findByHash: () => Promise.reject(new Error('socket hang up')) };
    const down = createApiKeyVerifier({ store: broken });
    expect(await refusal(down.verify(key))).toBeInstanceOf(UnavailableError);
    await store.close();
    expect(await refusal(verifier.verify(key))).toBeInstanceOf(UnavailableError);
    await Promise.all([verifier.close(), down.close()]);
  });

  it('uses the subject when present and flushes lastUsedAt on its interval', async () => {
    const store = createMemoryApiKeyStore();
    const verifier = createApiKeyVerifier({ store, lastUsedFlushSeconds: 0.05 });
    const { record, key } = await createApiKey(store, {
      name: 'k',
      permissions: ['read'],
      subject: 'user:9',
    });
    expect((await verifier.verify(key)).subject).toBe('user:9');
    await vi.waitFor(async () => expect((await store.findById(record.id))!.lastUsedAt).not.toBeNull());
    await verifier.close();
  });

  it('identifies a key exposed over plain HTTP and revokes it only when asked', async () => {
    const store = createMemoryApiKeyStore();
    const verifier = createApiKeyVerifier({ store });
    const { record, key } = await createApiKey(store, { name: 'k', permissions: ['read'] });
    expect(await verifier.exposed(key, false)).toEqual({ id: record.id, revoked: false });
    expect((await store.findById(record.id))!.revokedAt).toBeNull();
    expect(await verifier.exposed(key, true)).toEqual({ id: record.id, revoked: true });
    expect(await refusal(verifier.verify(key))).toBeInstanceOf(ApiKeyInvalidError);
    expect(await verifier.exposed(generateApiKey(), true)).toBeNull();
    await verifier.close();
  });

  it('refuses bad options at start-up', () => {
    const store = createMemoryApiKeyStore();
    for (const options of [
      {},
      { store, prefix: 'RG' },
      { store, prefix: 'rg_live', prefixes: ['rg_live'] },
      { store, prefixes: [] },
      { store, cache: { maxEntries: -1 } },
      { store, peppers: [{ id: 'p', secret: 'too short' }] },
    ]) {
      expect(() => createApiKeyVerifier(options as never)).toThrow(ConfigInvalidError);
    }
  });
});
