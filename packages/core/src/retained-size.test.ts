// The byte estimate the caches count against their bound: it grows with what a value keeps alive.
import { describe, expect, it } from 'vitest';
import { retainedSize } from './retained-size.js';

describe('retainedSize', () => {
  it('counts strings by length and encoding, and numbers only when they are heap numbers', () => {
    expect(retainedSize('a'.repeat(100))).toBeGreaterThanOrEqual(100);
    expect(retainedSize('€'.repeat(100))).toBeGreaterThanOrEqual(200);
    expect(retainedSize(42)).toBe(0);
    expect(retainedSize(1.5)).toBeGreaterThan(0);
    expect(retainedSize(null)).toBe(0);
  });

  it('counts what objects, arrays and sets reach', () => {
    const small = { sub: 'alice' };
    const big = { sub: 'alice', profile: 'x'.repeat(10_000) };
    expect(retainedSize(big) - retainedSize(small)).toBeGreaterThanOrEqual(10_000);
    const scopes = new Set(Array.from({ length: 100 }, (_, i) => `scope-${i}`));
    expect(retainedSize(scopes)).toBeGreaterThan(100 * 24);
    expect(retainedSize([small, small])).toBeGreaterThan(2 * retainedSize(small));
    expect(retainedSize(new Date())).toBeGreaterThan(0);
  });

  it('ends on a cycle', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(retainedSize(a)).toBeGreaterThan(0);
  });
});
