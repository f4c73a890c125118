/**
 * The issue-17 targets, checked against one run: each as the median of per-round ratios with its
 * spread (rows paired round by round, see results.ts). A goal the spread straddles is "unresolved",
 * never "met"; a target whose rows are missing is "not measured".
 */
import { type BenchRow, bestOf, pairedRatio, type Spread, type TargetCheck, verdictOf } from './results.js';

const FRAMEWORKS = ['express', 'fastify', 'hono'] as const;
/** The restguard row a target is about: the defaults (not the Web Crypto step rows). */
const isDefault = (r: BenchRow) => r.role === 'restguard' && !r.label.includes('Web Crypto');

function ratioTarget(
  rows: readonly BenchRow[],
  target: string,
  group: string,
  base: (r: BenchRow) => boolean,
  goal: number,
  options: { figure?: 'opsPerSecond' | 'p99Us'; atMost?: boolean; best?: boolean } = {},
): TargetCheck {
  const inGroup = rows.filter((r) => r.group === group);
  const subject = inGroup.find((r) => isDefault(r));
  // Files from before per-scenario bare rows keep one per framework under `<prefix>/*`.
  const shared = rows.filter((r) => r.group === `${group.slice(0, group.lastIndexOf('/'))}/*`);
  const bases = [...inGroup, ...shared].filter((r) => r !== subject && base(r));
  const reference = options.best ? bestOf(bases) : bases.find((r) => r.opsPerSecond);
  const atMost = options.atMost ?? false;
  const measured = subject && reference ? pairedRatio(subject, reference, options.figure) : undefined;
  if (!measured) {
    const why = subject?.note ?? bases.find((r) => r.note)?.note ?? `rows missing in ${group}`;
    return { target, goal, atMost, verdict: 'not measured', detail: why };
  }
  const detail =
    measured.rounds === 0
      ? 'no per-round figures in this file: spread unknown'
      : `${measured.rounds} paired rounds; against ${reference!.label}`;
  return { target, goal, atMost, measured, verdict: verdictOf(measured, goal, atMost), detail };
}

const role = (name: BenchRow['role']) => (r: BenchRow) => r.role === name;
const label = (name: string) => (r: BenchRow) => r.label === name;

/**
 * Evaluates every target of issue 17 against a run's rows.
 * @example
 * report.targets = evaluateTargets(report.rows);
 */
export function evaluateTargets(rows: readonly BenchRow[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const alg of ['RS256', 'ES256']) {
    const group = `inproc/${alg}/valid-distinct`;
    out.push(
      ratioTarget(
        rows,
        `in process, ${alg} fresh tokens, × fast-jwt (no cache)`,
        group,
        label('fast-jwt'),
        1,
      ),
    );
    out.push(
      ratioTarget(rows, `in process, ${alg} fresh tokens, × raw crypto.verify`, group, role('floor'), 0.9),
    );
  }
  for (const alg of ['RS256', 'ES256']) {
    out.push(
      ratioTarget(
        rows,
        `in process, ${alg} repeated token, × jose`,
        `inproc/${alg}/valid-repeated`,
        role('peer'),
        50,
      ),
    );
  }
  for (const fw of FRAMEWORKS) {
    const http = `http/${fw}`;
    out.push(
      ratioTarget(rows, `HTTP ${fw}, repeated token, × bare`, `${http}/valid-repeated`, role('bare'), 0.9),
    );
    out.push(
      ratioTarget(
        rows,
        `HTTP ${fw}, fresh tokens, × best peer`,
        `${http}/valid-distinct`,
        role('peer'),
        1.2,
        {
          best: true,
        },
      ),
    );
    out.push(
      ratioTarget(rows, `HTTP ${fw}, fresh tokens, × floor`, `${http}/valid-distinct`, role('floor'), 0.9),
    );
    out.push(
      ratioTarget(
        rows,
        `HTTP ${fw}, fresh tokens, p99 × floor's p99`,
        `${http}/valid-distinct`,
        role('floor'),
        1.5,
        {
          figure: 'p99Us',
          atMost: true,
        },
      ),
    );
    out.push(
      ratioTarget(rows, `HTTP ${fw}, forged tokens refused, × floor`, `${http}/invalid`, role('floor'), 0.9),
    );
    out.push(refusalTarget(rows, fw));
    out.push(
      ratioTarget(
        rows,
        `HTTP ${fw}, API key warm (SQLite), × bare`,
        `${http}/apikey-sqlite-warm`,
        role('bare'),
        0.9,
      ),
    );
    out.push(
      ratioTarget(
        rows,
        `HTTP ${fw}, API key cold (SQLite), × bare`,
        `${http}/apikey-sqlite-cold`,
        role('bare'),
        0.6,
      ),
    );
  }
  out.push(memoryTarget(rows));
  return out;
}

/**
 * "A refusal must never cost more than an acceptance": restguard's forged-token rate over its own
 * fresh-token rate, paired by round (both run in every round).
 */
function refusalTarget(rows: readonly BenchRow[], fw: string): TargetCheck {
  const target = `HTTP ${fw}, forged tokens refused, × restguard's own fresh-token rate`;
  const find = (scenario: string) => rows.find((r) => r.group === `http/${fw}/${scenario}` && isDefault(r));
  const refusals = find('invalid');
  const acceptances = find('valid-distinct');
  const measured = refusals && acceptances ? pairedRatio(refusals, acceptances) : undefined;
  if (!measured) {
    const why = refusals?.note ?? acceptances?.note ?? `rows missing in http/${fw}`;
    return { target, goal: 1, verdict: 'not measured', detail: why };
  }
  return { target, goal: 1, measured, verdict: verdictOf(measured, 1), detail: `${measured.rounds} rounds` };
}

/** Memory: heap growth from an empty cache to N distinct tokens, against the cache's byte bound ± 10 %. */
function memoryTarget(rows: readonly BenchRow[]): TargetCheck {
  const row = rows.find((r) => r.group === 'inproc/memory');
  const m = row?.memory;
  const bound = m ? m.cacheBytes / 2 ** 20 : 16;
  const target = m
    ? `memory: heap growth from an empty cache to ${m.tokens} distinct tokens, MiB (bound ${bound} MiB + 10 %)`
    : 'memory: heap growth from an empty cache, MiB (bound + 10 %)';
  const goal = bound * 1.1;
  if (!m || m.heapAtStartMb === undefined) {
    const detail = m
      ? 'this file measured from a full cache, not from an empty one'
      : (row?.note ?? 'memory row not run');
    return { target, goal, atMost: true, verdict: 'not measured', detail };
  }
  // One measurement, not a ratio of rounds: its spread is the figure itself.
  const measured: Spread = { median: m.heapGrowthMb, min: m.heapGrowthMb, max: m.heapGrowthMb, rounds: 1 };
  return {
    target,
    goal,
    atMost: true,
    measured,
    verdict: verdictOf(measured, goal, true),
    detail: `heap ${m.heapAtStartMb.toFixed(1)} → ${m.heapAtEndMb.toFixed(1)} MiB, RSS ${m.rssAtStartMb.toFixed(0)} → ${m.rssAtEndMb.toFixed(0)} MiB (+${m.rssGrowthMb.toFixed(1)})`,
  };
}
