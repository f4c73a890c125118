/**
 * The results chart (SVG, no dependencies): one panel per framework and token kind (and per
 * algorithm and scenario in process), a bar per row — restguard, the bare framework, the floor, the
 * peers — as its paired ratio to the panel's reference (× bare over HTTP, × floor in process), with
 * the min–max of the per-round ratios as a whisker. Deterministic: the same report gives the same file.
 */
import type { BenchReport, BenchRow, Spread } from './results.js';

const WIDTH = 980;
const COLUMN = WIDTH / 2;
const LABEL = 200;
const BAR = 190;
const ROW = 18;
const HEAD = 22;
const COLORS: Record<BenchRow['role'], string> = {
  restguard: '#d9480f',
  bare: '#868e96',
  floor: '#1c7ed6',
  peer: '#37b24d',
  other: '#74b816',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fix = (n: number) => Number(n.toFixed(1));

interface Panel {
  title: string;
  reference: 'bare' | 'floor';
  bars: Array<{ row: BenchRow; spread: Spread }>;
}

function panels(report: BenchReport): Panel[] {
  const groups = new Map<string, BenchRow[]>();
  for (const row of report.rows) {
    // Over HTTP every group; in process the algorithms the targets name.
    if (!row.group.startsWith('http/') && !/^inproc\/(RS256|ES256)\//.test(row.group)) continue;
    const list = groups.get(row.group);
    if (list) list.push(row);
    else groups.set(row.group, [row]);
  }
  const out: Panel[] = [];
  for (const [group, rows] of groups) {
    const reference = group.startsWith('http/') ? 'bare' : 'floor';
    const bars = rows.flatMap((row) => {
      const spread = row.ratios?.[reference];
      return spread ? [{ row, spread }] : [];
    });
    if (bars.length < 2 || !bars.some((b) => b.row.role === 'restguard')) continue;
    const where = rows[0]!.section.replace(/^HTTP: /, '').replace(/^In process: /, 'in process, ');
    out.push({ title: `${where} · ${rows[0]!.scenario} (× ${reference})`, reference, bars });
  }
  return out;
}

function panelSvg(panel: Panel, x: number, y: number): string[] {
  const top = Math.max(...panel.bars.map((b) => b.spread.max ?? b.spread.median), 1);
  const scale = BAR / top;
  const out = [`<text x="${x}" y="${y + 14}" class="t">${esc(panel.title)}</text>`];
  const one = fix(x + LABEL + scale);
  out.push(
    `<line x1="${one}" y1="${y + HEAD - 2}" x2="${one}" y2="${y + HEAD + panel.bars.length * ROW}" class="ref"/>`,
  );
  panel.bars.forEach(({ row, spread }, i) => {
    const rowY = y + HEAD + i * ROW;
    const label = row.label.length > 30 ? `${row.label.slice(0, 29)}…` : row.label;
    out.push(
      `<text x="${x + LABEL - 6}" y="${rowY + 12}" class="l${row.role === 'restguard' ? ' b' : ''}">${esc(label)}</text>`,
      `<rect x="${x + LABEL}" y="${rowY + 3}" width="${fix(spread.median * scale)}" height="${ROW - 6}" fill="${COLORS[row.role]}"/>`,
    );
    if (spread.min !== undefined && spread.max !== undefined) {
      const x1 = fix(x + LABEL + spread.min * scale);
      const x2 = fix(x + LABEL + spread.max * scale);
      const mid = rowY + ROW / 2;
      out.push(
        `<path d="M${x1} ${mid}H${x2}M${x1} ${mid - 4}V${mid + 4}M${x2} ${mid - 4}V${mid + 4}" class="w"/>`,
      );
    }
    const value = spread.median >= 10 ? spread.median.toFixed(0) : spread.median.toFixed(2);
    out.push(
      `<text x="${fix(x + LABEL + Math.max(spread.max ?? 0, spread.median) * scale + 5)}" y="${rowY + 12}" class="v">${value}×</text>`,
    );
  });
  return out;
}

/**
 * Renders the chart of a report as an SVG document.
 * @example
 * writeFileSync('results/2026-12-05T01-20-00Z.svg', renderChart(report));
 */
export function renderChart(report: BenchReport): string {
  const list = panels(report);
  const body: string[] = [];
  let y = 44;
  for (let i = 0; i < list.length; i += 2) {
    const pair = list.slice(i, i + 2);
    pair.forEach((panel, j) => {
      body.push(...panelSvg(panel, 10 + j * COLUMN, y));
    });
    y += HEAD + Math.max(...pair.map((p) => p.bars.length)) * ROW + 16;
  }
  const m = report.machine;
  const title = `restguard benchmark ${m.date.slice(0, 16).replace('T', ' ')} UTC${m.smoke ? ' (SMOKE RUN: meaningless figures)' : ''}: bars are medians of per-round ratios, whiskers min–max; dashed line = 1×`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif">`,
    '<style>.t{font-size:12px;font-weight:bold}.l{font-size:11px;text-anchor:end}.b{font-weight:bold}.v{font-size:10px}.w{stroke:#000;stroke-width:1;fill:none}.ref{stroke:#000;stroke-dasharray:3 3}</style>',
    `<rect width="${WIDTH}" height="${y}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="13">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
