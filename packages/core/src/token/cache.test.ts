// The verified-token cache's byte bound counts what each entry keeps alive, and holds it.
import { describe, expect, it } from 'vitest';
import type { Principal } from '../principal.js';
import { retainedSize } from '../retained-size.js';
import { TokenCache } from './cache.js';

const principal = (i: number, extra = ''): Principal =>
  Object.freeze({
    kind: 'token',
    subject: `user-${i}`,
    scopes: new Set(['read', 'write']),
    issuer: 'https://issuer.example',
    claims: Object.freeze({ sub: `user-${i}`, scope: 'read write', note: extra }),
  });

describe('TokenCache byte bound', () => {
  it('counts key, principal and claims, and evicts the oldest to stay within maxBytes', () => {
    const one = principal(0, 'x'.repeat(1000));
    const perEntry = retainedSize('k'.repeat(43)) + retainedSize(one);
    const cache = new TokenCache(10_000, perEntry * 5, () => 0);
    for (let i = 0; i < 50; i++) cache.set(`${i}`.padStart(43, 'k'), principal(i, 'x'.repeat(1000)), 1);
    expect(cache.retainedBytes).toBeLessThanOrEqual(perEntry * 5);
    expect(cache.size).toBeLessThan(5); // the entry's own overhead counts too
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.retainedBytes).toBeGreaterThan(cache.size * 1000);
    expect(cache.get('49'.padStart(43, 'k'))?.subject).toBe('user-49');
    expect(cache.get('0'.padStart(43, 'k'))).toBeUndefined();
  });

  it('gives the bytes back when entries expire or the cache is cleared', () => {
    let now = 0;
    const cache = new TokenCache(10, 1 << 20, () => now);
    cache.set('a', principal(1), 10);
    expect(cache.retainedBytes).toBeGreaterThan(0);
    now = 10;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.retainedBytes).toBe(0);
    cache.set('b', principal(2), 20);
    cache.clear();
    expect(cache.retainedBytes).toBe(0);
  });
});
