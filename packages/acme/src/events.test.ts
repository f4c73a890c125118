import { describe, expect, it } from 'vitest';
import { renewalTime, retryDelay } from './events.js';

describe('renewalTime', () => {
  const from = new Date('2026-01-01T00:00:00Z');
  const to = new Date('2026-04-01T00:00:00Z'); // 90 days
  const day = 86_400_000;
  it('renews at the fraction of the lifetime without jitter', () => {
    expect(renewalTime(from, to, 2 / 3, 0.05, () => 0).getTime()).toBe(from.getTime() + 60 * day);
  });
  it('takes at most the jitter fraction off', () => {
    expect(renewalTime(from, to, 2 / 3, 0.05, () => 1).getTime()).toBe(from.getTime() + 60 * day - 4.5 * day);
  });
});

describe('retryDelay', () => {
  it('doubles from the minimum up to the maximum', () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 40].map((n) => retryDelay(n, 1000, 10_000, none))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });
  it('takes up to 10 % off at random', () => {
    expect(retryDelay(1, 1000, 10_000, () => 1)).toBe(900);
  });
});
