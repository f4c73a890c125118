/**
 * Writes a run as `latest.md` (tables per section: ops/s, p50/p99 and the ratios to the floor, the
 * bare framework and the peer) and `latest.json` (everything, machine facts included).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchReport, BenchRow } from './results.js';

const fmtOps = (n?: number) =>
  n === undefined
    ? ''
    : n >= 100_000
      ? `${Math.round(n / 1000)}k`
      : n >= 1000
        ? `${(n / 1000).toFixed(1)}k`
        : n.toFixed(n >= 100 ? 0 : 1);
const fmtRatio = (n?: number) => (n === undefined ? '' : n >= 10 ? `${n.toFixed(0)}×` : `${n.toFixed(2)}×`);
const fmtLatency = (us: number | undefined, http: boolean) =>
  us === undefined
    ? ''
    : http
      ? `${(us / 1000).toFixed(2)}`
      : us >= 1000
        ? `${(us / 1000).toFixed(2)}k`
        : us.toFixed(us >= 10 ? 0 : 1);

function table(rows: readonly BenchRow[]): string[] {
  const http = rows[0]!.section.startsWith('HTTP');
  const unit = http ? 'ms' : 'µs';
  const lines = [
    `| scenario | row | ${http ? 'req/s' : 'ops/s'} | p50 ${unit} | p99 ${unit} | × floor | × bare | × peer | note |`,
    '|---|---|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const r of rows) {
    const name = r.role === 'restguard' ? `**${r.label}**` : r.label;
    lines.push(
      `| ${r.scenario} | ${name} | ${fmtOps(r.opsPerSecond)} | ${fmtLatency(r.p50Us, http)} | ${fmtLatency(r.p99Us, http)} | ${fmtRatio(r.ratios?.floor)} | ${fmtRatio(r.ratios?.bare)} | ${fmtRatio(r.ratios?.peer)} | ${r.note ?? ''} |`,
    );
  }
  return lines;
}

/**
 * Renders the report as Markdown.
 * @example
 * const md = renderMarkdown(report);
 */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out = [
    '# restguard benchmark results',
    '',
    `${m.smoke ? '**SMOKE RUN** (tiny durations: figures are meaningless). ' : ''}${m.date} · Node ${m.node} · ${m.platform} · ${m.cpus} × ${m.cpuModel} · ${m.totalMemoryMb} MB · load average at start ${m.loadAverage.map((l) => l.toFixed(2)).join(' / ')}`,
    '',
    `Settings: ${Object.entries(m.settings)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')}`,
    '',
    "Ratios compare rows of the same scenario in the same run: × floor (raw `node:crypto`), × bare (the framework without auth, same process kind), × peer (jose in process; the framework's usual JWT middleware over HTTP). Bold rows are restguard.",
    '',
  ];
  if (report.notes.length > 0) out.push(...report.notes.map((n) => `> ${n}`), '');
  out.push('## Issue 8 targets', '', '| target | measured | goal | met |', '|---|--:|--:|---|');
  for (const t of report.targets) {
    const value = (n: number) => (t.atMost ? n.toFixed(1) : fmtRatio(n));
    out.push(
      `| ${t.target} | ${t.measured === undefined ? '—' : value(t.measured)} | ${t.atMost ? '≤' : '≥'} ${value(t.goal)} | ${t.met === undefined ? `not measured: ${t.detail}` : t.met ? 'yes' : `**no** (${t.detail})`} |`,
    );
  }
  out.push('');
  const sections = [...new Set(report.rows.map((r) => r.section))];
  for (const section of sections) {
    out.push(`## ${section}`, '', ...table(report.rows.filter((r) => r.section === section)), '');
  }
  return out.join('\n');
}

/**
 * Writes `latest.md` and `latest.json` into `dir` (created if missing).
 * @example
 * writeReport(report, 'bench/results');
 */
export function writeReport(report: BenchReport, dir: string): { markdown: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const markdown = join(dir, 'latest.md');
  const json = join(dir, 'latest.json');
  writeFileSync(markdown, renderMarkdown(report));
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  return { markdown, json };
}
