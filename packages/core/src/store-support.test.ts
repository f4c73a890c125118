import { describe, expect, it } from 'vitest';
import { ApiKeyManagementError } from './api-key/validate.js';
import { TokenInvalidError, UnavailableError } from './errors.js';
import {
  type ApiKeyStoreListener,
  apiKeyRecordFromColumns,
  apiKeyStoreError,
  assertApiKeyRotatable,
  clientCertificateStoreError,
  notifyApiKeyListeners,
} from './store-support.js';

describe('store support', () => {
  it('maps store failures: restguard errors as they are, duplicates to conflict, the rest to 503', () => {
    const own = new TokenInvalidError('x');
    expect(apiKeyStoreError(own, () => true)).toBe(own);
    const duplicate = apiKeyStoreError(Object.assign(new Error('dup'), { code: '23505' }), (code) =>
      code.startsWith('23'),
    );
    expect(duplicate).toBeInstanceOf(ApiKeyManagementError);
    expect((duplicate as ApiKeyManagementError).reason).toBe('conflict');
    const down = apiKeyStoreError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), (code) =>
      code.startsWith('23'),
    );
    expect(down).toBeInstanceOf(UnavailableError);
    expect(down.message).toBe('The API-key store is unavailable.');
    expect(apiKeyStoreError(Object.assign(new Error('dup'), { code: '23505' }))).toBeInstanceOf(
      UnavailableError,
    );
  });

  it('keeps notifying the other listeners when one throws', () => {
    const seen: string[] = [];
    const listeners = new Set<ApiKeyStoreListener>([
      () => {
        throw new Error('broken listener');
      },
      (change) => seen.push(change.id),
    ]);
    notifyApiKeyListeners(listeners, { id: 'key_1', hash: 'h' });
    expect(seen).toEqual(['key_1']);
  });

  it('refuses to rotate a missing, revoked or rotated key', () => {
    expect(() => assertApiKeyRotatable(undefined)).toThrow(expect.objectContaining({ reason: 'not_found' }));
    expect(() => assertApiKeyRotatable({ revoked: true, rotated: false })).toThrow(
      expect.objectContaining({ reason: 'conflict' }),
    );
    expect(() => assertApiKeyRotatable({ revoked: false, rotated: true })).toThrow(
      expect.objectContaining({ reason: 'conflict' }),
    );
    expect(() => assertApiKeyRotatable({ revoked: false, rotated: false })).not.toThrow();
  });

  it('maps a decoded row to a record without a rateLimit member when it has none', () => {
    const createdAt = new Date(0);
    const record = apiKeyRecordFromColumns({
      id: 'key_1',
      name: 'ci',
      prefix: 'rg_live_Ab3x',
      hash: 'h',
      hash_scheme: 'sha256',
      permissions: ['read'],
      subject: null,
      metadata: null,
      created_at: createdAt,
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      rotated_from_id: null,
      rotated_to_id: null,
      rate_limit: null,
    });
    expect(record).toEqual({
      id: 'key_1',
      name: 'ci',
      prefix: 'rg_live_Ab3x',
      hash: 'h',
      hashScheme: 'sha256',
      permissions: ['read'],
      subject: null,
      metadata: {},
      createdAt,
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      rotatedFromId: null,
      rotatedToId: null,
    });
    expect('rateLimit' in record).toBe(false);
  });

  it('tells a duplicate client-certificate rule from an unavailable store', () => {
    expect(clientCertificateStoreError(new Error('x'), true).message).toBe(
      'An active rule already allows this certificate (or the id exists).',
    );
    expect(clientCertificateStoreError(new Error('x'), false)).toBeInstanceOf(UnavailableError);
  });
});
