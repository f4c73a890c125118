import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors.js';
import {
  API_KEY_SCAN_PATTERN,
  generateApiKey,
  isApiKeyFormat,
  isValidApiKeyPrefix,
  parseApiKey,
  randomBase62,
} from './format.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('API-key format', () => {
  it('generates <prefix>_<43 base62 secret><6 base62 checksum> that parses back', () => {
    const key = generateApiKey('rg_live');
    expect(key).toMatch(/^rg_live_[0-9A-Za-z]{49}$/);
    const parsed = parseApiKey(key)!;
    expect(parsed.prefix).toBe('rg_live');
    expect(parsed.secret).toHaveLength(43);
    expect(parsed.displayPrefix).toBe(key.slice(0, 'rg_live_'.length + 4));
    expect(isApiKeyFormat(key, ['rg_live'])).toBe(true);
    expect(isApiKeyFormat(key, ['rg_test'])).toBe(false);
    expect(generateApiKey()).toMatch(/^rg_live_/);
  });

  it('refuses every single-character typo, truncation and extension through the checksum', () => {
    const key = generateApiKey('rg_test');
    for (let i = 'rg_test_'.length; i < key.length; i++) {
      const replacement = key[i] === 'a' ? 'b' : 'a';
      expect(parseApiKey(key.slice(0, i) + replacement + key.slice(i + 1))).toBeNull();
    }
    expect(parseApiKey(key.slice(0, -1))).toBeNull();
    expect(parseApiKey(`${key}a`)).toBeNull();
    expect(parseApiKey(key.replace('rg_test', 'rg_live'))).toBeNull();
    expect(parseApiKey('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig')).toBeNull();
    expect(parseApiKey('')).toBeNull();
  });

  it('validates prefixes: lowercase letters, digits, single underscores, starting with a letter', () => {
    for (const ok of ['rg_live', 'rg_test', 'acme2', 'a_b_c']) expect(isValidApiKeyPrefix(ok)).toBe(true);
    for (const bad of ['RG_live', 'rg-live', '_rg', 'rg_', 'rg__live', '1rg', '', 'a'.repeat(33)]) {
      expect(isValidApiKeyPrefix(bad)).toBe(false);
    }
    expect(() => generateApiKey('RG-live')).toThrow(ConfigInvalidError);
  });

  it('draws secrets from the whole base62 alphabet without collisions', () => {
    const seen = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const secret = randomBase62(43);
      seen.add(secret);
      for (const c of secret) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(seen.size).toBe(2000);
    expect([...counts.keys()].sort().join('')).toBe([...ALPHABET].sort().join(''));
    // 86,000 draws over 62 symbols: ~1387 ± 37 each. Plain `byte % 62` (no rejection) would give
    // the first 8 symbols ~1680: more than 7 standard deviations above this bound.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(1180);
      expect(count).toBeLessThan(1600);
    }
  });

  it('documents a secret-scanning regex that finds keys in text and nothing else', () => {
    const live = generateApiKey('rg_live');
    const test = generateApiKey('rg_test');
    const text = `export KEY=${live}\nconfig: { key: "${test}" } jwt=eyJhbGciOiJIUzI1NiJ9.e30.x rg_live_short`;
    expect(text.match(API_KEY_SCAN_PATTERN)).toEqual([live, test]);
  });
});
