/** Verifier and management conformance over a real store: the behaviour users rely on. */
import {
  ApiKeyInvalidError,
  type ApiKeyStore,
  type ApiKeyVerifier,
  createApiKey,
  createApiKeyHasher,
  createApiKeyVerifier,
  generateApiKey,
  isRestguardError,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
  setApiKeyRateLimit,
} from '@restguard/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoreFactory, StoreFixture } from './fixture.js';

export function describeBehaviourConformance(factory: StoreFactory): void {
  let fixture: StoreFixture | undefined;
  const verifiers: ApiKeyVerifier[] = [];
  let clock = new Date('2026-01-01T00:00:00Z');
  const open = async (): Promise<ApiKeyStore> => {
    fixture = await factory();
    await fixture.store.migrate();
    return fixture.store;
  };
  const verifierFor = (
    store: ApiKeyStore,
    extra: Partial<Parameters<typeof createApiKeyVerifier>[0]> = {},
  ) => {
    const verifier = createApiKeyVerifier({
      store,
      prefixes: ['rg_live', 'rg_test'],
      now: () => clock,
      ...extra,
    });
    verifiers.push(verifier);
    return verifier;
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (err: unknown) => err,
    );
  afterEach(async () => {
    for (const verifier of verifiers.splice(0)) await verifier.close();
    await fixture?.store.close();
    await fixture?.destroy?.();
    fixture = undefined;
    clock = new Date('2026-01-01T00:00:00Z');
  });

  describe('keys through the verifier', () => {
    it('turns a created key into an apiKey principal whose scopes are its permissions', async () => {
      const store = await open();
      const { record, key } = await createApiKey(store, {
        name: 'ci',
        permissions: ['read', 'write'],
        metadata: { team: 'x' },
        now: clock,
      });
      const principal = await verifierFor(store).verify(key);
      expect(principal.kind).toBe('apiKey');
      expect(principal.subject).toBe(`apikey:${record.id}`);
      expect([...principal.scopes]).toEqual(['read', 'write']);
      expect(principal.apiKey).toMatchObject({
        id: record.id,
        prefix: record.prefix,
        metadata: { team: 'x' },
      });
      expect(JSON.stringify(principal)).not.toContain((await store.findById(record.id))!.hash);
    });

    it('refuses unknown, expired and revoked keys with ApiKeyInvalidError', async () => {
      const store = await open();
      const verifier = verifierFor(store);
      const unknownKey = generateApiKey('rg_live');
      const expiring = await createApiKey(store, {
        name: 'e',
        permissions: ['read'],
        subject: 'user:7',
        expiresAt: new Date(clock.getTime() + 60_000),
        now: clock,
      });
      expect((await verifier.verify(expiring.key)).subject).toBe('user:7');
      clock = new Date(clock.getTime() + 60_000);
      expect(await refusal(verifier.verify(expiring.key))).toBeInstanceOf(ApiKeyInvalidError);
      expect(await refusal(verifier.verify(unknownKey))).toBeInstanceOf(ApiKeyInvalidError);
      const revoked = await createApiKey(store, { name: 'r', permissions: ['read'], now: clock });
      await verifier.verify(revoked.key);
      await revokeApiKey(store, revoked.record.id, { now: clock });
      expect(await refusal(verifier.verify(revoked.key))).toBeInstanceOf(ApiKeyInvalidError);
    });

    it('rotates: the new key has the same permissions, the old one works until the grace deadline', async () => {
      const store = await open();
      const verifier = verifierFor(store);
      const first = await createApiKey(store, {
        name: 'svc',
        permissions: ['read', 'notes:write'],
        now: clock,
      });
      await verifier.verify(first.key);
      const rotated = await rotateApiKey(store, first.record.id, { graceSeconds: 3600, now: clock });
      expect(rotated.record.permissions).toEqual(['read', 'notes:write']);
      expect(rotated.previous.rotatedToId).toBe(rotated.record.id);
      expect([...(await verifier.verify(rotated.key)).scopes]).toEqual(['read', 'notes:write']);
      clock = new Date(clock.getTime() + 3_599_000);
      expect((await verifier.verify(first.key)).apiKey?.id).toBe(first.record.id);
      clock = new Date(clock.getTime() + 1000);
      expect(await refusal(verifier.verify(first.key))).toBeInstanceOf(ApiKeyInvalidError);
      expect((await verifier.verify(rotated.key)).apiKey?.id).toBe(rotated.record.id);
    });

    it('writes lastUsedAt behind, in a batch flushed on close', async () => {
      const store = await open();
      const verifier = verifierFor(store, { lastUsedFlushSeconds: 3600 });
      const { record, key } = await createApiKey(store, { name: 'lu', permissions: ['read'], now: clock });
      for (let i = 0; i < 5; i++) await verifier.verify(key);
      expect((await store.findById(record.id))!.lastUsedAt).toBeNull();
      expect(verifier.stats().pendingLastUsed).toBe(1);
      await verifier.close();
      expect((await store.findById(record.id))!.lastUsedAt).toEqual(clock);
    });

    it('introduces and rotates a pepper without re-issuing keys, re-hashing on use', async () => {
      const store = await open();
      const { record, key } = await createApiKey(store, { name: 'p', permissions: ['read'], now: clock });
      const p1 = { id: 'p1', secret: 'pepper-one-0123456789-0123456789-0123' };
      const p2 = { id: 'p2', secret: 'pepper-two-0123456789-0123456789-0123' };
      await verifierFor(store, { peppers: [p1] }).verify(key);
      expect((await store.findById(record.id))!.hashScheme).toBe('hmac-sha256:p1');
      await verifierFor(store, { peppers: [p2, p1] }).verify(key);
      const rehashed = (await store.findById(record.id))!;
      expect(rehashed.hashScheme).toBe('hmac-sha256:p2');
      expect(rehashed.hash).toBe(await createApiKeyHasher({ peppers: [p2] }).hash(key));
      expect(await refusal(verifierFor(store).verify(key))).toBeInstanceOf(ApiKeyInvalidError);
      expect((await verifierFor(store, { peppers: [p2] }).verify(key)).apiKey?.id).toBe(record.id);
    });

    it("keeps a key's own rate limit, and pushes a change to a running verifier", async () => {
      const store = await open();
      const { record, key } = await createApiKey(store, {
        name: 'limited',
        permissions: ['read'],
        rateLimit: '100/minute',
        now: clock,
      });
      expect(record.rateLimit).toBe('100/min');
      expect((await store.findById(record.id))!.rateLimit).toBe('100/min');
      const verifier = verifierFor(store);
      expect((await verifier.verify(key)).apiKey?.rateLimit).toBe('100/min');
      expect((await setApiKeyRateLimit(store, record.id, '5/s')).rateLimit).toBe('5/s');
      expect((await listApiKeys(store))[0]!.rateLimit).toBe('5/s');
      // The verifier's cache hears of the change from the store (bounded wait, no timing assertion).
      let seen: string | null | undefined;
      for (let i = 0; i < 200 && seen !== '5/s'; i++) {
        seen = (await verifier.verify(key)).apiKey?.rateLimit;
        if (seen !== '5/s') await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(seen).toBe('5/s');
      expect((await setApiKeyRateLimit(store, record.id, null)).rateLimit ?? null).toBeNull();
      const failure = await refusal(setApiKeyRateLimit(store, 'key_unknown', '1/s'));
      expect((failure as { reason?: string }).reason).toBe('not_found');
      const bad = await refusal(setApiKeyRateLimit(store, record.id, 'lots'));
      expect((bad as { reason?: string }).reason).toBe('invalid_input');
    });

    it('lists keys without hashes or plain keys', async () => {
      const store = await open();
      const { key } = await createApiKey(store, { name: 'l', permissions: ['read'], now: clock });
      const listed = await listApiKeys(store);
      const text = JSON.stringify(listed);
      expect(listed).toHaveLength(1);
      expect(text).not.toContain(key);
      expect(text).not.toContain((await store.list())[0]!.hash);
      expect(listed[0]).not.toHaveProperty('hash');
    });

    it('answers 503 (UnavailableError), never a pass, when the store is down', async () => {
      const store = await open();
      const { key } = await createApiKey(store, { name: 'd', permissions: ['read'], now: clock });
      const verifier = verifierFor(store, { cache: false });
      await verifier.verify(key);
      await store.close();
      const err = await refusal(verifier.verify(key));
      expect(isRestguardError(err) && err.code).toBe('ERR_UNAVAILABLE');
    });
  });
}
