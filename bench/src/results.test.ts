// The report's arithmetic: ratios are taken round by round between rows of one group and reported
// with their spread; a goal the spread straddles is unresolved, never met; a target whose rows are
// missing is not measured.
import { describe, expect, it } from 'vitest';
import { readConfig, selected } from './config.js';
import { median, percentile } from './measure.js';
import { fmtSpread, runStem } from './report.js';
import { type BenchRow, bestOf, computeRatios, pairedRatio, verdictOf } from './results.js';
import { evaluateTargets } from './targets.js';

const row = (
  group: string,
  role: BenchRow['role'],
  rounds?: number[],
  label: string = role,
  p99?: number[],
): BenchRow => ({
  section: 's',
  group,
  scenario: group,
  label,
  role,
  ...(rounds === undefined
    ? { note: 'not run' }
    : {
        opsPerSecond: median(rounds),
        p50Us: 100,
        p99Us: median(p99 ?? rounds.map(() => 1000)),
        rounds: rounds.map((ops, i) => ({ opsPerSecond: ops, p50Us: 100, p99Us: p99?.[i] ?? 1000 })),
      }),
});

describe('pairedRatio', () => {
  it('divides round by round and reports the median of the ratios with their min and max', () => {
    const restguard = row('g', 'restguard', [90, 100, 120]);
    const bare = row('g', 'bare', [100, 100, 100]);
    expect(pairedRatio(restguard, bare)).toEqual({ median: 1, min: 0.9, max: 1.2, rounds: 3 });
  });

  it('pairs rounds, not medians: a row that tracks its base round by round has no spread', () => {
    // Medians 200 / 200 whatever the pairing; paired, each round is exactly 0.5×.
    const a = row('g', 'restguard', [50, 100, 200]);
    const b = row('g', 'bare', [100, 200, 400]);
    expect(pairedRatio(a, b)).toEqual({ median: 0.5, min: 0.5, max: 0.5, rounds: 3 });
  });

  it('has no spread for rows recorded without rounds (older files)', () => {
    const a: BenchRow = {
      section: 's',
      group: 'g',
      scenario: 'g',
      label: 'a',
      role: 'restguard',
      opsPerSecond: 80,
    };
    const b: BenchRow = { ...a, role: 'bare', opsPerSecond: 100 };
    expect(pairedRatio(a, b)).toEqual({ median: 0.8, rounds: 0 });
    expect(pairedRatio(a, { ...b, opsPerSecond: undefined })).toBeUndefined();
  });

  it('takes the best peer round by round', () => {
    const best = bestOf([row('g', 'peer', [10, 30]), row('g', 'peer', [20, 15])])!;
    expect(best.rounds!.map((r) => r.opsPerSecond)).toEqual([20, 30]);
  });
});

describe('verdictOf', () => {
  it('is met only when the whole spread meets the goal', () => {
    expect(verdictOf({ median: 1, min: 0.95, max: 1.1, rounds: 5 }, 0.9)).toBe('met');
    expect(verdictOf({ median: 0.8, min: 0.7, max: 0.85, rounds: 5 }, 0.9)).toBe('not met');
    // Hono's 0.80006 against 0.8 with a spread around it: unresolved.
    expect(verdictOf({ median: 0.80006, min: 0.7, max: 0.9, rounds: 5 }, 0.8)).toBe('unresolved');
    expect(verdictOf({ median: 1.4, min: 1.2, max: 1.45, rounds: 5 }, 1.5, true)).toBe('met');
    expect(verdictOf({ median: 1.4, min: 1.2, max: 1.6, rounds: 5 }, 1.5, true)).toBe('unresolved');
    expect(verdictOf({ median: 0.95, rounds: 0 }, 0.9)).toBe('unresolved');
    expect(verdictOf(undefined, 0.9)).toBe('not measured');
  });
});

describe('computeRatios', () => {
  it('gives every row its paired ratios to the floor, bare and peer of its own group only', () => {
    const rows = [
      row('http/express/valid-distinct', 'bare', [10_000, 12_000]),
      row('http/express/valid-distinct', 'floor', [5000, 6000]),
      row('http/express/valid-distinct', 'peer', [4000, 4000]),
      row('http/express/valid-distinct', 'restguard', [4600, 4800]),
      row('http/express/valid-repeated', 'floor', [1, 1]), // another scenario: never used
    ];
    computeRatios(rows);
    const r = rows[3]!.ratios!;
    expect(r.floor).toMatchObject({ min: 0.8, max: 0.92 });
    expect(r.bare).toMatchObject({ min: 0.4, max: 0.46 });
    expect(r.peer).toMatchObject({ min: 1.15, max: 1.2 });
  });

  it('gives no ratio to a row without figures and none against a missing base', () => {
    const rows = [
      row('inproc/RS256/valid-distinct', 'restguard', [100]),
      row('inproc/RS256/valid-distinct', 'floor'),
    ];
    computeRatios(rows);
    expect(rows[0]!.ratios).toEqual({});
    expect(rows[1]!.ratios).toBeUndefined();
  });
});

describe('evaluateTargets', () => {
  it('judges the default restguard row by its spread and never marks a missing target as met', () => {
    const g = 'inproc/RS256/valid-distinct';
    const rows = [
      row(g, 'floor', [1000, 1000, 1000]),
      row(g, 'other', [900, 900, 900], 'fast-jwt'),
      row(g, 'restguard', [950, 1000, 1050], 'restguard guard.decide'),
      row(g, 'restguard', [10, 10, 10], 'restguard guard.decide, Web Crypto step'),
    ];
    const targets = evaluateTargets(rows);
    const byName = (s: string) => targets.find((t) => t.target === s)!;
    expect(byName('in process, RS256 fresh tokens, × raw crypto.verify')).toMatchObject({
      verdict: 'met',
      measured: { median: 1, min: 0.95, max: 1.05 },
    });
    expect(byName('in process, RS256 fresh tokens, × fast-jwt (no cache)').verdict).toBe('met');
    expect(byName('in process, ES256 fresh tokens, × raw crypto.verify').verdict).toBe('not measured');
    for (const t of targets.filter((t) => t.target.startsWith('HTTP')))
      expect(t.verdict).toBe('not measured');
    expect(targets.filter((t) => t.target.startsWith('HTTP'))).toHaveLength(24);
    expect(targets.find((t) => t.target.startsWith('memory'))?.verdict).toBe('not measured');
  });

  it('compares fresh tokens with the best peer and p99 with the floor p99, as an upper bound', () => {
    const g = 'http/hono/valid-distinct';
    const rows = [
      row(g, 'floor', [1000, 1000], 'floor', [1000, 1000]),
      row(g, 'peer', [800, 500], 'peer a'),
      row(g, 'peer', [500, 900], 'peer b'),
      row(g, 'restguard', [1000, 1200], 'restguard', [1400, 1700]),
    ];
    const targets = evaluateTargets(rows);
    const peer = targets.find((t) => t.target === 'HTTP hono, fresh tokens, × best peer')!;
    // Round 1: 1000 / max(800, 500); round 2: 1200 / max(500, 900). Either peer alone would be kinder.
    expect(peer.measured).toMatchObject({ min: 1.25, rounds: 2 });
    expect(peer.measured!.max).toBeCloseTo(4 / 3);
    expect(peer.verdict).toBe('met');
    const p99 = targets.find((t) => t.target === "HTTP hono, fresh tokens, p99 × floor's p99")!;
    expect(p99).toMatchObject({ atMost: true, measured: { min: 1.4, max: 1.7 }, verdict: 'unresolved' });
  });

  it('holds the memory row to its byte bound + 10 %, measured from an empty cache', () => {
    const memory = (heapGrowthMb: number): BenchRow => ({
      section: 'm',
      group: 'inproc/memory',
      scenario: 'm',
      label: 'restguard',
      role: 'restguard',
      opsPerSecond: 1,
      memory: {
        tokens: 1_000_000,
        cacheEntries: 10_000,
        cacheBytes: 16 * 2 ** 20,
        heapAtStartMb: 10,
        heapAtEndMb: 10 + heapGrowthMb,
        rssAtStartMb: 50,
        rssAtEndMb: 60,
        heapGrowthMb,
        rssGrowthMb: 10,
      },
    });
    const verdict = (mb: number) =>
      evaluateTargets([memory(mb)]).find((t) => t.target.startsWith('memory'))!.verdict;
    expect(verdict(17.5)).toBe('met');
    expect(verdict(18)).toBe('not met');
  });
});

describe('report formatting', () => {
  it('shows a ratio with its spread, and says when none was recorded', () => {
    expect(fmtSpread({ median: 0.934, min: 0.88, max: 0.97, rounds: 5 })).toBe('0.93× (0.88–0.97)');
    expect(fmtSpread({ median: 72.4, min: 60, max: 80, rounds: 5 })).toBe('72× (60–80)');
    expect(fmtSpread({ median: 0.9, rounds: 0 })).toBe('0.90× (spread n/a)');
    expect(runStem('2026-12-05T01:20:00.123Z')).toBe('2026-12-05T01-20-00Z');
  });
});

describe('RESTGUARD_BENCH_ONLY', () => {
  it('selects by substring, and a scenario filter selects its suite first', () => {
    const config = readConfig({ RESTGUARD_BENCH_ONLY: 'http/hono/valid-distinct, inproc/ES256' });
    expect(selected(config, 'http/hono')).toBe(true);
    expect(selected(config, 'http/hono/valid-distinct')).toBe(true);
    expect(selected(config, 'http/hono/valid-repeated')).toBe(false);
    expect(selected(config, 'http/express')).toBe(false);
    expect(selected(config, 'inproc/ES256/valid-repeated')).toBe(true);
    expect(selected(config, 'inproc/RS256')).toBe(false);
    expect(selected(readConfig({}), 'anything')).toBe(true);
  });

  it('runs ≥ 5 paired rounds in a full run', () => {
    const config = readConfig({ RESTGUARD_BENCH_OUT: '/tmp/unused' });
    expect(config.rounds).toBeGreaterThanOrEqual(5);
    expect(config.httpRounds).toBeGreaterThanOrEqual(5);
    expect(config.memoryTokens).toBe(1_000_000);
  });
});

describe('statistics', () => {
  it('takes medians and nearest-rank percentiles', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
  });
});
