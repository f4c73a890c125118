// The benchmark cannot rot: `RESTGUARD_BENCH_SMOKE=1` runs every row (in process and over HTTP, all
// three frameworks, restguard, the floor and the peers) with tiny durations and writes the report to
// a temp dir. No figure is asserted — only that every row ran and every verifier answered correctly
// (a row whose verifier accepted a forged token or refused a valid one would carry a FAILED note).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

beforeAll(async () => {
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/run.ts'], {
    cwd: root,
    env: { ...process.env, RESTGUARD_BENCH_SMOKE: '1', RESTGUARD_BENCH_OUT: out, RESTGUARD_BENCH_ONLY: '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
  markdown = readFileSync(join(out, 'latest.md'), 'utf8');
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
      if (row.group !== 'inproc/memory') expect(row.p99Us).toBeGreaterThanOrEqual(row.p50Us!);
    }
  });

  it('compares restguard with the floor, the bare framework and the peer in the same run', () => {
    const restguard = report.rows.filter((r) => r.role === 'restguard' && r.opsPerSecond !== undefined);
    expect(restguard.length).toBeGreaterThan(20);
    const httpToken = restguard.filter(
      (r) => r.group.startsWith('http/') && r.group.endsWith('valid-distinct'),
    );
    expect(httpToken).toHaveLength(3); // one restguard row per framework
    for (const row of httpToken)
      expect(Object.keys(row.ratios ?? {}).sort()).toEqual(['bare', 'floor', 'peer']);
    expect(report.targets.length).toBeGreaterThan(10);
  });

  it('writes the Markdown table with its ratio columns and the targets', () => {
    expect(markdown).toContain('SMOKE RUN');
    expect(markdown).toContain(
      '| scenario | row | ops/s | p50 µs | p99 µs | × floor | × bare | × peer | note |',
    );
    expect(markdown).toContain(
      '| scenario | row | req/s | p50 ms | p99 ms | × floor | × bare | × peer | note |',
    );
    expect(markdown).toContain('## Issue 8 targets');
  });
});
