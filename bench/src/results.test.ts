// The report's arithmetic: ratios stay within a scenario of one run, the bare framework measured once
// serves every scenario of its framework, and a target whose rows are missing is never reported as met.
import { describe, expect, it } from 'vitest';
import { readConfig, selected } from './config.js';
import { median, percentile } from './measure.js';
import { type BenchRow, computeRatios } from './results.js';
import { evaluateTargets } from './targets.js';

const row = (group: string, role: BenchRow['role'], ops?: number, label: string = role): BenchRow => ({
  section: 's',
  group,
  scenario: group,
  label,
  role,
  ...(ops === undefined ? { note: 'not run' } : { opsPerSecond: ops }),
});

describe('computeRatios', () => {
  it('divides by the floor and peer of the same group, and by the framework-wide bare row', () => {
    const rows = [
      row('http/express/*', 'bare', 10_000),
      row('http/express/valid-distinct', 'floor', 5000),
      row('http/express/valid-distinct', 'peer', 4000),
      row('http/express/valid-distinct', 'restguard', 4600, 'restguard'),
      row('http/express/valid-repeated', 'floor', 1), // another scenario: never used for valid-distinct
    ];
    computeRatios(rows);
    expect(rows[3]!.ratios).toEqual({ floor: 0.92, bare: 0.46, peer: 1.15 });
  });

  it('gives no ratio to a row without figures and none against a missing base', () => {
    const rows = [
      row('inproc/RS256/valid-distinct', 'restguard', 100),
      row('inproc/RS256/valid-distinct', 'floor'),
    ];
    computeRatios(rows);
    expect(rows[0]!.ratios).toEqual({});
    expect(rows[1]!.ratios).toBeUndefined();
  });
});

describe('evaluateTargets', () => {
  it('checks each restguard row against its goal and never marks a missing target as met', () => {
    const rows = [
      row('inproc/RS256/valid-distinct', 'floor', 1000),
      row('inproc/RS256/valid-distinct', 'restguard', 850, 'restguard guard.decide'),
      row('inproc/ES256/valid-distinct', 'floor', 1000),
      row('inproc/ES256/valid-distinct', 'restguard', 700, 'restguard guard.decide'),
    ];
    computeRatios(rows);
    const targets = evaluateTargets(rows);
    const rs = targets.find((t) => t.target.startsWith('core, RS256 distinct'))!;
    const es = targets.find((t) => t.target.startsWith('core, ES256 distinct'))!;
    expect([rs.met, rs.measured]).toEqual([true, 0.85]);
    expect([es.met, es.measured]).toEqual([false, 0.7]);
    const http = targets.filter((t) => t.target.startsWith('HTTP'));
    expect(http.length).toBe(18);
    for (const t of http) expect(t.met).toBeUndefined();
    expect(targets.find((t) => t.target.startsWith('memory'))?.met).toBeUndefined();
  });
});

describe('the × peer ceiling over HTTP', () => {
  it('says when the bare framework itself is below a × peer goal, and only then', () => {
    const rows = [
      row('http/fastify/*', 'bare', 27_000),
      row('http/fastify/valid-repeated', 'peer', 10_000),
      row('http/fastify/valid-repeated', 'restguard', 24_000, 'restguard'),
      row('http/hono/*', 'bare', 24_000),
      row('http/hono/valid-repeated', 'peer', 4_000),
      row('http/hono/valid-repeated', 'restguard', 10_000, 'restguard'),
    ];
    computeRatios(rows);
    const targets = evaluateTargets(rows);
    const fastify = targets.find((t) => t.target === 'HTTP fastify, repeated token, × peer')!;
    expect([fastify.met, fastify.measured]).toEqual([false, 2.4]);
    expect(fastify.detail).toContain('the bare framework itself is 2.70× the peer here');
    const hono = targets.find((t) => t.target === 'HTTP hono, repeated token, × peer')!;
    expect([hono.met, hono.measured]).toEqual([false, 2.5]);
    expect(hono.detail).not.toContain('bare framework'); // 6× is within reach: no excuse
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
