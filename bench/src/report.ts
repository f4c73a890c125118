/**
 * Writes a run as `<timestamp>.md` (the targets with their verdicts, then tables per section: ops/s,
 * p50/p99 in µs and the paired ratios to the floor, the bare framework and the peer, each as median
 * and min–max over rounds), `<timestamp>.json` (everything, every round) and `<timestamp>.svg` (the
 * chart, chart.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart } from './chart.js';
import type { BenchReport, BenchRow, Spread, TargetCheck } from './results.js';

/**
 * Formats a rate: `412k`, `38.2k`, `950`.
 * @example
 * fmtOps(38_210); // '38.2k'
 */
export const fmtOps = (n?: number) =>
  n === undefined
    ? ''
    : n >= 100_000
      ? `${Math.round(n / 1000)}k`
      : n >= 1000
        ? `${(n / 1000).toFixed(1)}k`
        : n.toFixed(n >= 100 ? 0 : 1);

const num = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(2));

/**
 * Formats a ratio with its spread: `0.93× (0.88–0.97)`; without a recorded spread: `0.93× (spread n/a)`.
 * @example
 * fmtSpread({ median: 0.93, min: 0.88, max: 0.97, rounds: 5 }); // '0.93× (0.88–0.97)'
 */
export function fmtSpread(s: Spread | undefined, unit = '×'): string {
  if (!s) return '';
  const range = s.min === undefined || s.max === undefined ? 'spread n/a' : `${num(s.min)}–${num(s.max)}`;
  return `${num(s.median)}${unit} (${range})`;
}

const fmtUs = (us?: number) =>
  us === undefined ? '' : us >= 1000 ? `${(us / 1000).toFixed(2)}k` : us.toFixed(us >= 10 ? 0 : 1);

function opsRange(r: BenchRow): string {
  if (!r.rounds || r.rounds.length < 2) return '';
  const ops = r.rounds.map((x) => x.opsPerSecond);
  return ` (${fmtOps(Math.min(...ops))}–${fmtOps(Math.max(...ops))})`;
}

function table(rows: readonly BenchRow[]): string[] {
  const http = rows[0]!.section.startsWith('HTTP');
  const lines = [
    `| scenario | row | ${http ? 'req/s' : 'ops/s'} (min–max) | p50 µs | p99 µs | × floor | × bare | × peer | note |`,
    '|---|---|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const r of rows) {
    const name = r.role === 'restguard' ? `**${r.label}**` : r.label;
    lines.push(
      `| ${r.scenario} | ${name} | ${fmtOps(r.opsPerSecond)}${opsRange(r)} | ${fmtUs(r.p50Us)} | ${fmtUs(r.p99Us)} | ${fmtSpread(r.ratios?.floor)} | ${fmtSpread(r.ratios?.bare)} | ${fmtSpread(r.ratios?.peer)} | ${r.note ?? ''} |`,
    );
  }
  return lines;
}

/**
 * The targets table: each target's median with its spread, the goal and the verdict.
 * @example
 * const lines = targetsTable(report.targets);
 */
export function targetsTable(targets: readonly TargetCheck[]): string[] {
  const out = ['| target | measured: median (min–max) | goal | verdict |', '|---|--:|--:|---|'];
  for (const t of targets) {
    const unit = t.atMost && t.target.startsWith('memory') ? ' MiB' : '×';
    const goal = `${t.atMost ? '≤' : '≥'} ${num(t.goal)}${unit}`;
    const verdict =
      t.verdict === 'met'
        ? 'met'
        : t.verdict === 'not measured'
          ? `not measured: ${t.detail}`
          : `**${t.verdict}**`;
    out.push(`| ${t.target} | ${t.measured ? fmtSpread(t.measured, unit) : '—'} | ${goal} | ${verdict} |`);
  }
  return out;
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
    ...(m.loadGenerator ? [`Load: ${m.loadGenerator}.`, ''] : []),
    `Settings: ${Object.entries(m.settings)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')}`,
    '',
    "Ratios compare rows of one scenario measured back to back in the same round (A B A B …): the median of the per-round ratios, with their min–max. × floor (raw `node:crypto`), × bare (the framework without auth), × peer (jose in process; the framework's usual JWT middleware over HTTP). A target is met only when every round meets it, not met when none does, unresolved otherwise. Bold rows are restguard.",
    '',
  ];
  if (report.notes.length > 0) out.push(...report.notes.map((n) => `> ${n}`), '');
  out.push('## Targets (issue 17)', '', ...targetsTable(report.targets), '');
  const sections = [...new Set(report.rows.map((r) => r.section))];
  for (const section of sections) {
    out.push(`## ${section}`, '', ...table(report.rows.filter((r) => r.section === section)), '');
  }
  return out.join('\n');
}

/**
 * The file stem of a run: its start time, `2026-12-05T01-20-00Z`.
 * @example
 * runStem('2026-12-05T01:20:00.123Z'); // '2026-12-05T01-20-00Z'
 */
export function runStem(isoDate: string): string {
  return `${isoDate.slice(0, 19).replaceAll(':', '-')}Z`;
}

/**
 * Writes `<timestamp>.md`, `.json` and `.svg` into `dir` (created if missing).
 * @example
 * writeReport(report, 'bench/results');
 */
export function writeReport(
  report: BenchReport,
  dir: string,
): { markdown: string; json: string; chart: string } {
  mkdirSync(dir, { recursive: true });
  const stem = runStem(report.machine.date);
  const markdown = join(dir, `${stem}.md`);
  const json = join(dir, `${stem}.json`);
  const chart = join(dir, `${stem}.svg`);
  writeFileSync(markdown, renderMarkdown(report));
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(chart, renderChart(report));
  return { markdown, json, chart };
}
