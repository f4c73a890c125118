/** Store-level conformance: migrations, round trips, revoke, rotate, touch, rehash, concurrency. */
import {
  ApiKeyManagementError,
  type ApiKeyStore,
  type ApiKeyStoreChange,
  isRestguardError,
} from '@restguard/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeRecord, type StoreConformanceOptions, type StoreFactory, type StoreFixture } from './fixture.js';

/** Registers nothing: for tests that only apply to shared databases (no skipped entries in reports). */
const noop = (_name: string, _fn: () => Promise<void>) => {};

export function describeRecordConformance(factory: StoreFactory, options: StoreConformanceOptions): void {
  let fixture: StoreFixture | undefined;
  const others: ApiKeyStore[] = [];
  const open = async () => {
    fixture = await factory();
    return fixture.store;
  };
  afterEach(async () => {
    for (const store of others.splice(0)) await store.close();
    await fixture?.store.close();
    await fixture?.destroy?.();
    fixture = undefined;
  });

  describe('migrations', () => {
    it('migrates an empty database, then re-running them changes nothing', async () => {
      const store = await open();
      await store.migrate();
      const { record } = await makeRecord();
      await store.insert(record);
      await store.migrate();
      expect(await store.findById(record.id)).toEqual(record);
    });

    (options.shared ? it : noop)('lets two instances migrate the same empty database at once', async () => {
      const store = await open();
      const other = fixture!.openAnother!();
      others.push(other);
      await Promise.all([store.migrate(), other.migrate(), store.migrate()]);
      const { record } = await makeRecord();
      await other.insert(record);
      expect(await store.findById(record.id)).toEqual(record);
    });
  });

  describe('records', () => {
    it('stores every field and finds the record by hash and by id', async () => {
      const store = await open();
      const { record } = await makeRecord({ subject: null, expiresAt: null, metadata: {} });
      const { record: full } = await makeRecord({ rateLimit: '100/min' });
      await store.insert(record);
      await store.insert(full);
      expect(await store.findByHash(record.hash)).toEqual(record);
      expect(await store.findById(full.id)).toEqual(full);
      expect(await store.findByHash(full.hash)).toEqual(full);
      expect(await store.findByHash('unknown-hash')).toBeNull();
      expect(await store.findById('key_unknown')).toBeNull();
    });

    it('returns copies: mutating a result does not change the store', async () => {
      const store = await open();
      const { record } = await makeRecord();
      await store.insert(record);
      const found = (await store.findById(record.id))!;
      found.permissions.push('admin');
      found.revokedAt = new Date();
      expect(await store.findById(record.id)).toEqual(record);
    });

    it('refuses a duplicate id or hash with a conflict and keeps the original', async () => {
      const store = await open();
      const { record } = await makeRecord();
      await store.insert(record);
      const { record: sameId } = await makeRecord({ id: record.id });
      const { record: sameHash } = await makeRecord({ hash: record.hash });
      for (const duplicate of [sameId, sameHash]) {
        const err = await store.insert(duplicate).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ApiKeyManagementError);
        expect((err as ApiKeyManagementError).reason).toBe('conflict');
      }
      expect(await store.findById(record.id)).toEqual(record);
    });

    it('lists oldest first, without revoked keys unless asked', async () => {
      const store = await open();
      const { record: a } = await makeRecord({ createdAt: new Date('2026-01-01T00:00:00Z') });
      const { record: b } = await makeRecord({ createdAt: new Date('2026-01-03T00:00:00Z') });
      const { record: c } = await makeRecord({ createdAt: new Date('2026-01-02T00:00:00Z') });
      for (const r of [a, b, c]) await store.insert(r);
      await store.revoke(c.id, new Date('2026-02-01T00:00:00Z'));
      expect((await store.list()).map((r) => r.id)).toEqual([a.id, b.id]);
      expect((await store.list({ includeRevoked: true })).map((r) => r.id)).toEqual([a.id, c.id, b.id]);
    });
  });

  describe('revoke', () => {
    it('sets revokedAt once, reports unknown ids, and notifies subscribers', async () => {
      const store = await open();
      const { record } = await makeRecord();
      await store.insert(record);
      const changes: ApiKeyStoreChange[] = [];
      const stop = store.subscribe((change) => changes.push(change));
      const first = new Date('2026-03-01T00:00:00Z');
      expect(await store.revoke(record.id, first)).toBe(true);
      expect(await store.revoke(record.id, new Date('2026-04-01T00:00:00Z'))).toBe(true);
      expect((await store.findById(record.id))!.revokedAt).toEqual(first);
      expect(await store.revoke('key_unknown', first)).toBe(false);
      await vi.waitFor(() => expect(changes.some((c) => c.id === record.id || c.reset)).toBe(true));
      stop();
    });

    (options.shared ? it : noop)(
      'pushes a revocation made through another instance within the bound',
      async () => {
        const store = await open();
        await store.migrate();
        const { record } = await makeRecord();
        await store.insert(record);
        const other = fixture!.openAnother!();
        others.push(other);
        const seen: ApiKeyStoreChange[] = [];
        const stop = store.subscribe((change) => seen.push(change));
        await other.findById(record.id);
        await new Promise((resolve) => setTimeout(resolve, 200));
        seen.length = 0;
        await other.revoke(record.id, new Date());
        await vi.waitFor(() => expect(seen.some((c) => c.id === record.id || c.reset)).toBe(true), {
          timeout: options.revocationBoundMs,
          interval: 20,
        });
        stop();
      },
    );
  });

  describe('rotate', () => {
    it('links both records and caps the old expiry at the grace deadline', async () => {
      const store = await open();
      const { record: old } = await makeRecord();
      await store.insert(old);
      const { record: next } = await makeRecord({ createdAt: new Date('2026-05-01T00:00:00Z') });
      const grace = new Date('2026-05-02T00:00:00Z');
      await store.rotate(old.id, { ...next, rotatedFromId: old.id }, grace);
      const [o, n] = [await store.findById(old.id), await store.findById(next.id)];
      expect(o).toMatchObject({ rotatedToId: next.id, expiresAt: grace, revokedAt: null });
      expect(n).toMatchObject({
        rotatedFromId: old.id,
        permissions: old.permissions,
        expiresAt: next.expiresAt,
      });
      expect(await store.findByHash(next.hash)).toEqual(n);
    });

    it('never extends an earlier expiry, and refuses unknown, revoked or rotated keys without writing', async () => {
      const store = await open();
      const soon = new Date('2026-05-01T12:00:00Z');
      const { record: old } = await makeRecord({ expiresAt: soon });
      await store.insert(old);
      const { record: next } = await makeRecord();
      await store.rotate(old.id, next, new Date('2026-06-01T00:00:00Z'));
      expect((await store.findById(old.id))!.expiresAt).toEqual(soon);
      const { record: again } = await makeRecord();
      const { record: revoked } = await makeRecord();
      await store.insert(revoked);
      await store.revoke(revoked.id, new Date());
      for (const [id, reason] of [
        [old.id, 'conflict'],
        [revoked.id, 'conflict'],
        ['key_unknown', 'not_found'],
      ] as const) {
        const err = await store.rotate(id, again, new Date()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ApiKeyManagementError);
        expect((err as ApiKeyManagementError).reason).toBe(reason);
      }
      expect(await store.findById(again.id)).toBeNull();
    });

    it('lets exactly one of two concurrent rotations of the same key win', async () => {
      const store = await open();
      const { record: old } = await makeRecord();
      await store.insert(old);
      const [a, b] = [(await makeRecord()).record, (await makeRecord()).record];
      const other = fixture?.openAnother?.() ?? store;
      if (other !== store) others.push(other);
      const results = await Promise.allSettled([
        store.rotate(old.id, a, new Date('2026-07-01T00:00:00Z')),
        other.rotate(old.id, b, new Date('2026-07-01T00:00:00Z')),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const winner = (await store.findById(old.id))!.rotatedToId;
      expect([a.id, b.id]).toContain(winner);
      expect(await store.findById(winner === a.id ? b.id : a.id)).toBeNull();
    });
  });

  describe('lastUsedAt and rehash', () => {
    it('writes lastUsedAt in one batch, only forward, ignoring unknown ids', async () => {
      const store = await open();
      const [a, b] = [(await makeRecord()).record, (await makeRecord()).record];
      await store.insert(a);
      await store.insert(b);
      const t1 = new Date('2026-08-01T00:00:00.123Z');
      const t2 = new Date('2026-08-02T00:00:00.456Z');
      await store.touch([
        { id: a.id, lastUsedAt: t2 },
        { id: b.id, lastUsedAt: t1 },
        { id: 'key_unknown', lastUsedAt: t1 },
      ]);
      await store.touch([{ id: a.id, lastUsedAt: t1 }]);
      expect((await store.findById(a.id))!.lastUsedAt).toEqual(t2);
      expect((await store.findById(b.id))!.lastUsedAt).toEqual(t1);
      await store.touch([]);
    });

    it('re-hashes a record under a new scheme: the old hash no longer finds it', async () => {
      const store = await open();
      const { record } = await makeRecord();
      await store.insert(record);
      await store.rehash(record.id, 'new-hash-value', 'hmac-sha256:p1');
      expect(await store.findByHash(record.hash)).toBeNull();
      expect(await store.findByHash('new-hash-value')).toMatchObject({
        id: record.id,
        hashScheme: 'hmac-sha256:p1',
      });
    });
  });

  describe('concurrency and failures', () => {
    it('keeps 200 concurrent inserts and lookups from several instances consistent', async () => {
      const store = await open();
      await store.migrate();
      const instances = [store, ...[1, 2].map(() => fixture?.openAnother?.() ?? store)];
      for (const s of instances) if (s !== store) others.push(s);
      const made = await Promise.all(Array.from({ length: 200 }, () => makeRecord()));
      await Promise.all(made.map(({ record }, i) => instances[i % instances.length]!.insert(record)));
      const found = await Promise.all(
        made.map(({ record }, i) => instances[(i + 1) % instances.length]!.findByHash(record.hash)),
      );
      expect(found.map((r) => r?.id)).toEqual(made.map(({ record }) => record.id));
      expect(await store.list()).toHaveLength(200);
    });

    it('rejects with UnavailableError once closed, never a result', async () => {
      const store = await open();
      const { record } = await makeRecord();
      await store.insert(record);
      await store.close();
      const err = await store.findByHash(record.hash).catch((e: unknown) => e);
      expect(isRestguardError(err) && err.code).toBe('ERR_UNAVAILABLE');
    });
  });
}
