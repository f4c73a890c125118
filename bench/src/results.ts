/**
 * The result model: rows grouped by what they are compared with. Within a group, ratios are taken to
 * the group's floor (raw `node:crypto`), bare framework and peer rows, all from the same run.
 */

/** What a row stands for in its group. */
export type RowRole = 'floor' | 'bare' | 'peer' | 'restguard' | 'other';

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
  opsPerSecond?: number;
  /** Latency percentiles, microseconds (in process) or milliseconds converted to µs (HTTP). */
  p50Us?: number;
  p99Us?: number;
  /** Memory figures (the memory row only). */
  memory?: {
    tokens: number;
    cacheEntries: number;
    cacheBytes: number;
    heapAtCacheFullMb: number;
    heapAtEndMb: number;
    rssAtCacheFullMb: number;
    rssAtEndMb: number;
    heapGrowthMb: number;
  };
  /** Why a row has no figures (skipped, unavailable, failed sanity check). */
  note?: string;
  ratios?: { floor?: number; bare?: number; peer?: number };
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
  settings: Record<string, unknown>;
}

/** A whole run: facts, rows, and the issue-8 targets as measured. */
export interface BenchReport {
  machine: MachineFacts;
  rows: BenchRow[];
  targets: TargetCheck[];
  notes: string[];
}

/** One issue-8 target, checked against this run's figures. */
export interface TargetCheck {
  target: string;
  /** The measured ratio, or undefined when the rows are missing. */
  measured?: number;
  goal: number;
  /** True when the goal is an upper bound (memory), false/absent for a ratio floor. */
  atMost?: boolean;
  met?: boolean;
  detail: string;
}

/**
 * Fills in `ratios` for every measured row from its group's floor, bare and peer rows. A bare row
 * in the group `<prefix>/*` (the framework without auth, measured once) serves every group under it.
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
    const base = (role: RowRole) => list.find((r) => r.role === role && r.opsPerSecond)?.opsPerSecond;
    const floor = base('floor');
    const prefix = list[0]!.group.slice(0, list[0]!.group.lastIndexOf('/'));
    const shared = groups.get(`${prefix}/*`)?.find((r) => r.role === 'bare' && r.opsPerSecond)?.opsPerSecond;
    const bare = base('bare') ?? shared;
    const peer = base('peer');
    for (const row of list) {
      if (!row.opsPerSecond) continue;
      row.ratios = {
        ...(floor ? { floor: row.opsPerSecond / floor } : {}),
        ...(bare ? { bare: row.opsPerSecond / bare } : {}),
        ...(peer ? { peer: row.opsPerSecond / peer } : {}),
      };
    }
  }
}
