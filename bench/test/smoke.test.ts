// The benchmark cannot rot: `RESTGUARD_BENCH_SMOKE=1` runs every row (in process and over HTTP, all
// three frameworks, restguard, the floor and the peers; two paired rounds, ~0.1 s each) and writes
// the report to a temp dir. No figure is asserted — only that every row ran, every verifier answered
// correctly (a row whose verifier accepted a forged token or refused a valid one would carry a FAILED
// note) and the report has its shape: rounds, spreads, verdicts, the chart.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/results.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'restguard-bench-smoke-'));
let report: BenchReport;
let markdown: string;
let chart: string;

beforeAll(async () => {
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/run.ts'], {
    cwd: root,
    env: { ...process.env, RESTGUARD_BENCH_SMOKE: '1', RESTGUARD_BENCH_OUT: out, RESTGUARD_BENCH_ONLY: '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = readdirSync(out);
  const stem = files.find((f) => /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/.test(f))!.replace(/\.json$/, '');
  expect(files.sort()).toEqual([`${stem}.json`, `${stem}.md`, `${stem}.svg`]);
  report = JSON.parse(readFileSync(join(out, `${stem}.json`), 'utf8'));
  markdown = readFileSync(join(out, `${stem}.md`), 'utf8');
  chart = readFileSync(join(out, `${stem}.svg`), 'utf8');
}, 900_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('benchmark smoke run', () => {
  it('records the machine facts with the results', () => {
    expect(report.machine.smoke).toBe(true);
    expect(report.machine.node).toBe(process.versions.node);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(Date.parse(report.machine.date)).not.toBeNaN();
  });

  it('has every section: four algorithms, API keys, memory and the three frameworks', () => {
    const sections = new Set(report.rows.map((r) => r.section));
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) expect(sections).toContain(`In process: ${alg}`);
    expect(sections).toContain('In process: API keys');
    expect(sections).toContain('In process: memory');
    for (const fw of ['express', 'fastify', 'hono']) expect(sections).toContain(`HTTP: ${fw}`);
  });

  it('measured every row; only PostgreSQL may be skipped, and only with a printed note', () => {
    const unmeasured = report.rows.filter((r) => r.opsPerSecond === undefined);
    for (const row of unmeasured) {
      expect(`${row.group} ${row.label}: ${row.note}`).toMatch(
        /postgres.*skipped: TEST_DATABASE_URL is not set/i,
      );
    }
    if (process.env.TEST_DATABASE_URL) expect(unmeasured).toEqual([]);
    for (const row of report.rows.filter((r) => r.opsPerSecond !== undefined)) {
      expect(row.opsPerSecond).toBeGreaterThan(0);
      if (row.group === 'inproc/memory') continue;
      expect(row.p99Us).toBeGreaterThanOrEqual(row.p50Us!);
      expect(row.rounds).toHaveLength(2); // every round kept, for the paired ratios
    }
  });

  it('pairs restguard with the floor, its own bare row and the peer, round by round', () => {
    const restguard = report.rows.filter((r) => r.role === 'restguard' && r.opsPerSecond !== undefined);
    expect(restguard.length).toBeGreaterThan(20);
    const httpToken = restguard.filter((r) => r.group.startsWith('http/') && !r.group.includes('apikey'));
    expect(httpToken).toHaveLength(9); // three token scenarios per framework
    for (const row of httpToken) {
      expect(Object.keys(row.ratios ?? {}).sort()).toEqual(['bare', 'floor', 'peer']);
      expect(row.ratios!.bare!.rounds).toBe(2);
      expect(row.ratios!.bare!.min).toBeLessThanOrEqual(row.ratios!.bare!.max!);
      const bare = report.rows.find((r) => r.group === row.group && r.role === 'bare');
      expect(bare?.opsPerSecond).toBeGreaterThan(0); // measured in the same group, not once per framework
    }
  });

  it('judges every issue-17 target with a verdict and a spread', () => {
    expect(report.targets.length).toBe(31);
    for (const t of report.targets) {
      expect(['met', 'not met', 'unresolved']).toContain(t.verdict);
      expect(t.measured?.min).toBeLessThanOrEqual(t.measured!.max!);
    }
  });

  it('measures memory from an empty cache and reports heap and RSS growth against the bound', () => {
    const memory = report.rows.find((r) => r.group === 'inproc/memory')!.memory!;
    expect(memory.tokens).toBe(2000);
    expect(memory.cacheBytes).toBe(16 * 2 ** 20);
    expect(memory.heapGrowthMb).toBeCloseTo(memory.heapAtEndMb - memory.heapAtStartMb);
    expect(memory.rssGrowthMb).toBeCloseTo(memory.rssAtEndMb - memory.rssAtStartMb);
  });

  it('records wrk pinned away from the servers, and microsecond latency', () => {
    expect(report.machine.loadGenerator).toMatch(/^wrk, 1 thread × 10 connections/);
    if (report.machine.cpus >= 2) expect(report.machine.loadGenerator).toContain('(taskset)');
    const http = report.rows.filter((r) => r.group.startsWith('http/') && r.p50Us !== undefined);
    // Sub-millisecond resolution: not every figure is a whole number of milliseconds.
    expect(http.some((r) => r.p50Us! % 1000 !== 0)).toBe(true);
  });

  it('writes the Markdown tables with spreads, the targets and the chart', () => {
    expect(markdown).toContain('SMOKE RUN');
    expect(markdown).toContain(
      '| scenario | row | ops/s (min–max) | p50 µs | p99 µs | × floor | × bare | × peer | note |',
    );
    expect(markdown).toContain(
      '| scenario | row | req/s (min–max) | p50 µs | p99 µs | × floor | × bare | × peer | note |',
    );
    expect(markdown).toContain('## Targets (issue 17)');
    expect(markdown).toMatch(/\d\.\d\d× \(\d+(\.\d+)?–\d+(\.\d+)?\)/);
    expect(chart).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const fw of ['express', 'fastify', 'hono'])
      expect(chart).toContain(`${fw} · RS256 valid, distinct tokens (× bare)`);
  });
});
