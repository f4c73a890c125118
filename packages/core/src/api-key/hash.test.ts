import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors.js';
import { createApiKeyHasher, hashApiKey, timingSafeEqualString } from './hash.js';

const PEPPER = 'a-pepper-of-at-least-thirty-two-bytes!!';

describe('API-key hashing', () => {
  it('hashes with SHA-256 by default, as base64url', async () => {
    const expected = createHash('sha256').update('rg_live_x').digest('base64url');
    expect(await hashApiKey('rg_live_x')).toBe(expected);
    const hasher = createApiKeyHasher();
    expect(hasher.currentScheme).toBe('sha256');
    expect(hasher.schemes).toEqual(['sha256']);
  });

  it('uses HMAC-SHA256 under the first pepper and still knows the older schemes', async () => {
    const hasher = createApiKeyHasher({
      peppers: [
        { id: '2026-02', secret: PEPPER },
        { id: '2025-01', secret: new Uint8Array(32).fill(7) },
      ],
    });
    expect(hasher.currentScheme).toBe('hmac-sha256:2026-02');
    expect(hasher.schemes).toEqual(['hmac-sha256:2026-02', 'hmac-sha256:2025-01', 'sha256']);
    expect(await hasher.hash('k')).toBe(createHmac('sha256', PEPPER).update('k').digest('base64url'));
    expect(await hasher.hash('k', 'hmac-sha256:2025-01')).toBe(
      createHmac('sha256', Buffer.alloc(32, 7)).update('k').digest('base64url'),
    );
    await expect(hasher.hash('k', 'hmac-sha256:nope')).rejects.toBeInstanceOf(ConfigInvalidError);
  });

  it('refuses short peppers, bad ids and duplicate ids at start-up', () => {
    expect(() => createApiKeyHasher({ peppers: [{ id: 'p', secret: 'short' }] })).toThrow(ConfigInvalidError);
    expect(() => createApiKeyHasher({ peppers: [{ id: 'bad id', secret: PEPPER }] })).toThrow(
      ConfigInvalidError,
    );
    expect(() =>
      createApiKeyHasher({
        peppers: [
          { id: 'p', secret: PEPPER },
          { id: 'p', secret: PEPPER },
        ],
      }),
    ).toThrow(ConfigInvalidError);
  });

  it('compares strings by content', () => {
    expect(timingSafeEqualString('abc', 'abc')).toBe(true);
    expect(timingSafeEqualString('abc', 'abd')).toBe(false);
    expect(timingSafeEqualString('abc', 'abcd')).toBe(false);
  });
});
