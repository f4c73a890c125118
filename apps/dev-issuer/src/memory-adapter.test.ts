import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryAdapter } from './memory-adapter.js';

describe('memory adapter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('finds what was stored until it expires', async () => {
    vi.useFakeTimers();
    const codes = createMemoryAdapter()('AuthorizationCode');
    await codes.upsert('c1', { jti: 'c1' }, 60);
    expect(await codes.find('c1')).toEqual({ jti: 'c1' });
    vi.advanceTimersByTime(61_000);
    expect(await codes.find('c1')).toBeUndefined();
  });

  it('keeps one store per issuer and models apart', async () => {
    const one = createMemoryAdapter();
    const two = createMemoryAdapter();
    await one('AccessToken').upsert('t', { jti: 't' }, 60);
    expect(await two('AccessToken').find('t')).toBeUndefined();
    expect(await one('RefreshToken').find('t')).toBeUndefined();
  });

  it('marks consumed records, finds sessions by uid and revokes all records of a grant', async () => {
    const factory = createMemoryAdapter();
    const sessions = factory('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'alice' }, 60);
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'alice' });

    const codes = factory('AuthorizationCode');
    const tokens = factory('RefreshToken');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await tokens.upsert('r1', { grantId: 'g1' }, 60);
    await tokens.upsert('r2', { grantId: 'g2' }, 60);
    await codes.consume('c1');
    expect((await codes.find('c1'))?.consumed).toEqual(expect.any(Number));
    await tokens.revokeByGrantId('g1');
    expect(await codes.find('c1')).toBeUndefined();
    expect(await tokens.find('r1')).toBeUndefined();
    expect(await tokens.find('r2')).toBeDefined();
  });
});
