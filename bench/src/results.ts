/**
 * The result model: rows grouped by what they are compared with. Every row keeps its rounds; a ratio
 * is taken round by round between rows of one group (measured back to back in the same round: A B A
 * B …) and reported as the median of those per-round ratios with their spread (min–max). A ratio
 * never crosses groups or runs.
 */
import { median } from './measure.js';

/** What a row stands for in its group. */
export type RowRole = 'floor' | 'bare' | 'peer' | 'restguard' | 'other';

/** One round of one row. Latency in microseconds. */
export interface RoundFigures {
  opsPerSecond: number;
  p50Us: number;
  p99Us: number;
}

/** A ratio over rounds: the median of the per-round ratios and their range (absent: not recorded). */
export interface Spread {
  median: number;
  min?: number;
  max?: number;
  /** Rounds the ratio was taken over (0: only medians were recorded, so no spread). */
  rounds: number;
}

/** One measured (or skipped) row. */
export interface BenchRow {
  /** Section of the report, e.g. `In process: RS256` or `HTTP: express`. */
  readonly section: string;
  /** Comparison group, e.g. `inproc/RS256/valid-distinct`; ratios never cross groups. */
  readonly group: string;
  /** Human scenario name, e.g. `valid, distinct tokens`. */
  readonly scenario: string;
  /** Human row name, e.g. `jose.jwtVerify`. */
  readonly label: string;
  readonly role: RowRole;
  /** Medians over the rounds. */
  opsPerSecond?: number;
  p50Us?: number;
  p99Us?: number;
  /** Every round, in order (round i of every row of a group ran in the same pass). */
  rounds?: RoundFigures[];
  /** Memory figures (the memory row only), MiB except counts. */
  memory?: {
    tokens: number;
    cacheEntries: number;
    /** The cache's byte bound (`maxBytes`). */
    cacheBytes: number;
    heapAtStartMb: number;
    heapAtEndMb: number;
    rssAtStartMb: number;
    rssAtEndMb: number;
    heapGrowthMb: number;
    rssGrowthMb: number;
  };
  /** Why a row has no figures (skipped, unavailable, failed sanity check). */
  note?: string;
  ratios?: { floor?: Spread; bare?: Spread; peer?: Spread };
}

/** Machine facts recorded beside every run. */
export interface MachineFacts {
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  loadAverage: number[];
  totalMemoryMb: number;
  smoke: boolean;
  /** How load was generated and where processes ran (wrk + taskset, or the fallback). */
  loadGenerator?: string;
  settings: Record<string, unknown>;
}

/** A target's verdict: met only when the whole spread is on the right side of the goal. */
export type Verdict = 'met' | 'not met' | 'unresolved' | 'not measured';

/** A whole run: facts, rows, and the targets as measured. */
export interface BenchReport {
  machine: MachineFacts;
  rows: BenchRow[];
  targets: TargetCheck[];
  notes: string[];
}

/** One target, checked against this run's figures. */
export interface TargetCheck {
  target: string;
  /** The measured ratio (or value) with its spread; undefined when the rows are missing. */
  measured?: Spread;
  goal: number;
  /** True when the goal is an upper bound (latency, memory). */
  atMost?: boolean;
  verdict: Verdict;
  detail: string;
}

type Figure = 'opsPerSecond' | 'p99Us';

/**
 * The ratio `row / base` round by round (rounds paired by index), or of the medians when a row has
 * no rounds recorded (then without spread). Undefined when either has no figures.
 * @example
 * const spread = pairedRatio(restguardRow, bareRow); // { median: 0.93, min: 0.88, max: 0.97, rounds: 5 }
 */
export function pairedRatio(
  row: BenchRow,
  base: BenchRow,
  figure: Figure = 'opsPerSecond',
): Spread | undefined {
  const a = row[figure];
  const b = base[figure];
  if (!a || !b) return undefined;
  const n = Math.min(row.rounds?.length ?? 0, base.rounds?.length ?? 0);
  if (n === 0) return { median: a / b, rounds: 0 };
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(row.rounds![i]![figure] / base.rounds![i]![figure]);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rounds: n };
}

/**
 * The best of several rows round by round (the fastest peer of each round), as one row.
 * @example
 * const best = bestOf(peers);
 */
export function bestOf(rows: readonly BenchRow[]): BenchRow | undefined {
  const measured = rows.filter((r) => r.opsPerSecond);
  if (measured.length === 0) return undefined;
  if (measured.length === 1) return measured[0];
  const n = Math.min(...measured.map((r) => r.rounds?.length ?? 0));
  const rounds: RoundFigures[] = [];
  for (let i = 0; i < n; i++) {
    rounds.push(
      measured.map((r) => r.rounds![i]!).reduce((x, y) => (y.opsPerSecond > x.opsPerSecond ? y : x)),
    );
  }
  const top = measured.reduce((x, y) => (y.opsPerSecond! > x.opsPerSecond! ? y : x));
  return { ...top, label: `best of ${measured.map((r) => r.label).join(', ')}`, rounds };
}

/**
 * Fills in `ratios` for every measured row from its group's floor, bare and peer rows (paired round
 * by round). Files from before rounds were recorded have one bare row per framework (`<prefix>/*`);
 * it serves every group under it.
 * @example
 * computeRatios(report.rows);
 */
export function computeRatios(rows: BenchRow[]): void {
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const list = groups.get(row.group);
    if (list) list.push(row);
    else groups.set(row.group, [row]);
  }
  for (const list of groups.values()) {
    const base = (role: RowRole) => list.find((r) => r.role === role && r.opsPerSecond);
    const prefix = list[0]!.group.slice(0, list[0]!.group.lastIndexOf('/'));
    const shared = groups.get(`${prefix}/*`)?.find((r) => r.role === 'bare' && r.opsPerSecond);
    const bases = { floor: base('floor'), bare: base('bare') ?? shared, peer: base('peer') };
    for (const row of list) {
      if (!row.opsPerSecond) continue;
      const ratios: NonNullable<BenchRow['ratios']> = {};
      for (const [name, b] of Object.entries(bases) as Array<[keyof typeof bases, BenchRow | undefined]>) {
        const spread = b ? pairedRatio(row, b) : undefined;
        if (spread) ratios[name] = spread;
      }
      row.ratios = ratios;
    }
  }
}

/**
 * The verdict on a spread against a goal: met when every round is on the right side, not met when
 * none is, unresolved when the spread straddles the goal or was not recorded.
 * @example
 * verdictOf({ median: 0.95, min: 0.85, max: 1.02, rounds: 5 }, 0.9); // 'unresolved'
 */
export function verdictOf(spread: Spread | undefined, goal: number, atMost = false): Verdict {
  if (!spread) return 'not measured';
  if (spread.min === undefined || spread.max === undefined) return 'unresolved';
  const ok = (v: number) => (atMost ? v <= goal : v >= goal);
  if (ok(spread.min) && ok(spread.max)) return 'met';
  if (!ok(spread.min) && !ok(spread.max)) return 'not met';
  return 'unresolved';
}
