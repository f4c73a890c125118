import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors.js';
import { generateApiKey, parseApiKey } from './format.js';
import { hashApiKey } from './hash.js';
import { createApiKey, getApiKey, listApiKeys, revokeApiKey, rotateApiKey } from './manage.js';
import { createMemoryApiKeyStore } from './memory-store.js';
import type { ApiKeyStore } from './store.js';
import { ApiKeyManagementError } from './validate.js';

const now = new Date('2026-01-01T00:00:00Z');
const reason = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof ApiKeyManagementError ? err.reason : String(err)),
  );

describe('API-key management', () => {
  it('creates a key once: the store holds only its hash and display prefix', async () => {
    const store = createMemoryApiKeyStore();
    const { record, key } = await createApiKey(store, {
      name: 'ci',
      permissions: ['read'],
      prefix: 'rg_test',
      now,
    });
    expect(parseApiKey(key)?.prefix).toBe('rg_test');
    expect(record).not.toHaveProperty('hash');
    const stored = (await store.findById(record.id))!;
    expect(stored.hash).toBe(await hashApiKey(key));
    expect(stored.prefix).toBe(parseApiKey(key)!.displayPrefix);
    expect(JSON.stringify(stored)).not.toContain(key);
    expect(record.id).toMatch(/^key_[0-9A-Za-z]{22}$/);
  });

  it('writes nothing on bad input', async () => {
    const store = createMemoryApiKeyStore();
    expect(await reason(createApiKey(store, { name: 'x', permissions: ['Read'] }))).toBe('invalid_input');
    expect(await reason(createApiKey(store, { name: 'x', permissions: ['read'], prefix: 'RG' }))).toBe(
      'invalid_input',
    );
    expect(await reason(createApiKey(store, { name: 'x', permissions: ['read'], expiresAt: now, now }))).toBe(
      'invalid_input',
    );
    expect(await listApiKeys(store, { includeRevoked: true })).toEqual([]);
  });

  it('reports unknown ids and refuses to rotate revoked, expired or rotated keys', async () => {
    const store = createMemoryApiKeyStore();
    expect(await reason(revokeApiKey(store, 'key_nope'))).toBe('not_found');
    expect(await reason(rotateApiKey(store, 'key_nope'))).toBe('not_found');
    expect(await reason(getApiKey(store, 'key_nope'))).toBe('not_found');
    const a = await createApiKey(store, { name: 'a', permissions: ['read'], now });
    await revokeApiKey(store, a.record.id, { now });
    expect(await reason(rotateApiKey(store, a.record.id, { now }))).toBe('conflict');
    const b = await createApiKey(store, {
      name: 'b',
      permissions: ['read'],
      expiresAt: new Date(now.getTime() + 1000),
      now,
    });
    expect(await reason(rotateApiKey(store, b.record.id, { now: new Date(now.getTime() + 1000) }))).toBe(
      'conflict',
    );
    const c = await createApiKey(store, { name: 'c', permissions: ['read'], now });
    await rotateApiKey(store, c.record.id, { now });
    expect(await reason(rotateApiKey(store, c.record.id, { now }))).toBe('conflict');
    expect(await reason(rotateApiKey(store, c.record.id, { graceSeconds: -1, now }))).toBe('invalid_input');
  });

  it('keeps the first revocation time when revoking twice', async () => {
    const store = createMemoryApiKeyStore();
    const { record } = await createApiKey(store, { name: 'r', permissions: ['read'], now });
    expect((await revokeApiKey(store, record.id, { now })).revokedAt).toEqual(now);
    expect((await revokeApiKey(store, record.id, { now: new Date() })).revokedAt).toEqual(now);
    expect(await listApiKeys(store)).toEqual([]);
    expect(await listApiKeys(store, { includeRevoked: true })).toHaveLength(1);
  });

  it('rotation keeps prefix, permissions, subject, metadata and expiry, and caps the old key at the grace', async () => {
    const store = createMemoryApiKeyStore();
    const expiresAt = new Date('2027-01-01T00:00:00Z');
    const first = await createApiKey(store, {
      name: 'svc',
      permissions: ['read', 'write'],
      subject: 'team:a',
      metadata: { env: 'prod' },
      prefix: 'rg_test',
      expiresAt,
      now,
    });
    const { record, key, previous } = await rotateApiKey(store, first.record.id, { graceSeconds: 60, now });
    expect(parseApiKey(key)?.prefix).toBe('rg_test');
    expect(record).toMatchObject({
      name: 'svc',
      permissions: ['read', 'write'],
      subject: 'team:a',
      expiresAt,
    });
    expect(record.metadata).toEqual({ env: 'prod' });
    expect(record.rotatedFromId).toBe(first.record.id);
    expect(previous.expiresAt).toEqual(new Date(now.getTime() + 60_000));
  });

  it('turns a raw store failure into UnavailableError', async () => {
    const broken = new Proxy(createMemoryApiKeyStore(), {
      get: (target, prop) =>
        prop === 'list' ? () => Promise.reject(new Error('ECONNRESET')) : target[prop as keyof ApiKeyStore],
    });
    await expect(listApiKeys(broken)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('never returns the same key twice', async () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey()));
    expect(keys.size).toBe(1000);
  });
});
