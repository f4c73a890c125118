import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';
import { UsageError } from './errors.js';

describe('parseDuration', () => {
  it('reads a whole number and one unit', () => {
    expect(parseDuration('30d', '--expires-in')).toBe(30 * 86_400_000);
    expect(parseDuration('24h', '--grace')).toBe(86_400_000);
    expect(parseDuration('15m', '--grace')).toBe(900_000);
    expect(parseDuration('45s', '--grace')).toBe(45_000);
    expect(parseDuration('2w', '--grace')).toBe(14 * 86_400_000);
    expect(parseDuration('36500d', '--expires-in')).toBe(36_500 * 86_400_000);
  });

  it('refuses everything else with a UsageError naming the flag', () => {
    for (const bad of [
      '',
      '30',
      'd',
      '30D',
      '30days',
      '1.5h',
      '-1h',
      '+1h',
      '1d12h',
      ' 1d',
      '1d ',
      '0x10s',
      '36501d',
    ]) {
      expect(() => parseDuration(bad, '--expires-in'), bad).toThrow(UsageError);
      expect(() => parseDuration(bad, '--expires-in'), bad).toThrow(/--expires-in/);
    }
  });

  it('refuses zero unless allowed', () => {
    expect(() => parseDuration('0d', '--expires-in')).toThrow(/longer than zero/);
    expect(parseDuration('0s', '--grace', { allowZero: true })).toBe(0);
  });
});

describe('formatDuration', () => {
  it('uses the largest exact unit', () => {
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(90 * 60_000)).toBe('90m');
    expect(formatDuration(14 * 86_400_000)).toBe('2w');
    expect(formatDuration(0)).toBe('0s');
  });
});
