/**
 * The issue-8 targets, checked against one run's ratios (same run, same machine). A target whose
 * rows are missing is listed as not measured, never as met.
 */
import type { BenchRow, TargetCheck } from './results.js';

type Ratio = 'floor' | 'bare' | 'peer';

function check(
  rows: readonly BenchRow[],
  target: string,
  group: string,
  label: (r: BenchRow) => boolean,
  ratio: Ratio,
  goal: number,
): TargetCheck[] {
  const found = rows.filter((r) => r.group === group && r.role === 'restguard' && label(r));
  if (found.length === 0 || found.every((r) => r.ratios?.[ratio] === undefined)) {
    const why = found.find((r) => r.note)?.note ?? `no restguard row or no ${ratio} row in ${group}`;
    return [{ target, goal, detail: why }];
  }
  const ceiling = ceilingOf(rows, group, ratio);
  return found
    .filter((r) => r.ratios?.[ratio] !== undefined)
    .map((r) => {
      const measured = r.ratios![ratio]!;
      const met = measured >= goal;
      const bound =
        !met && ceiling !== undefined && ceiling < goal
          ? `; the bare framework itself is ${ceiling.toFixed(2)}× the peer here`
          : '';
      return {
        target: found.length > 1 ? `${target} — ${r.label}` : target,
        measured,
        goal,
        met,
        detail: `${Math.round(r.opsPerSecond!)} ops/s${bound}`,
      };
    });
}

/**
 * Over HTTP, no middleware can be faster than no middleware: the bare framework's own multiple of the
 * peer (same scenario, same run) bounds what a × peer target can reach.
 */
function ceilingOf(rows: readonly BenchRow[], group: string, ratio: Ratio): number | undefined {
  if (ratio !== 'peer' || !group.startsWith('http/')) return undefined;
  const peerToBare = rows.find((r) => r.group === group && r.role === 'peer')?.ratios?.bare;
  return peerToBare ? 1 / peerToBare : undefined;
}

/**
 * Evaluates every target of issue 8 that the run measured.
 * @example
 * report.targets = evaluateTargets(report.rows);
 */
export function evaluateTargets(rows: readonly BenchRow[]): TargetCheck[] {
  const any = () => true;
  const out: TargetCheck[] = [];
  for (const alg of ['RS256', 'ES256']) {
    out.push(
      ...check(
        rows,
        `core, ${alg} distinct tokens, × floor`,
        `inproc/${alg}/valid-distinct`,
        any,
        'floor',
        0.8,
      ),
    );
  }
  for (const alg of ['RS256', 'ES256']) {
    out.push(
      ...check(rows, `core, ${alg} repeated token, × jose`, `inproc/${alg}/valid-repeated`, any, 'peer', 10),
    );
  }
  for (const fw of ['express', 'fastify', 'hono']) {
    out.push(
      ...check(rows, `HTTP ${fw}, repeated token, × bare`, `http/${fw}/valid-repeated`, any, 'bare', 0.8),
    );
    out.push(
      ...check(rows, `HTTP ${fw}, repeated token, × peer`, `http/${fw}/valid-repeated`, any, 'peer', 3),
    );
    out.push(
      ...check(rows, `HTTP ${fw}, distinct tokens, × peer`, `http/${fw}/valid-distinct`, any, 'peer', 1.1),
    );
    out.push(
      ...check(rows, `HTTP ${fw}, distinct tokens, × floor`, `http/${fw}/valid-distinct`, any, 'floor', 0.9),
    );
    out.push(
      ...check(
        rows,
        `HTTP ${fw}, API key warm (SQLite), × bare`,
        `http/${fw}/apikey-sqlite-warm`,
        any,
        'bare',
        0.8,
      ),
    );
    out.push(
      ...check(
        rows,
        `HTTP ${fw}, API key cold (SQLite), × bare`,
        `http/${fw}/apikey-sqlite-cold`,
        any,
        'bare',
        0.5,
      ),
    );
  }
  const memory = rows.find((r) => r.group === 'inproc/memory');
  if (memory?.memory) {
    const m = memory.memory;
    out.push({
      target: `memory: heap growth from a full cache to ${m.tokens} distinct tokens, MiB (≤ cache bytes ${m.cacheBytes / 2 ** 20})`,
      measured: m.heapGrowthMb,
      goal: m.cacheBytes / 2 ** 20,
      met: m.heapGrowthMb <= m.cacheBytes / 2 ** 20,
      detail: `heap ${m.heapAtCacheFullMb.toFixed(1)} → ${m.heapAtEndMb.toFixed(1)} MiB`,
      atMost: true,
    });
  } else {
    out.push({
      target: 'memory: caches hold their caps under distinct tokens',
      goal: 16,
      detail: memory?.note ?? 'memory row not run',
      atMost: true,
    });
  }
  return out;
}
