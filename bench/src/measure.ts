/**
 * A tiny ops/s loop harness: warm-up, then fixed-duration rounds, each op timed; the caller
 * interleaves rows between rounds so background noise spreads over all of them.
 */
import { performance } from 'node:perf_hooks';

/** One operation. It may return a promise; rejections count as failures (the row is then invalid). */
export type Operation = () => unknown;

/** The outcome of one round of one operation. */
export interface RoundResult {
  opsPerSecond: number;
  /** Latency percentiles of the round, microseconds. */
  p50Us: number;
  p99Us: number;
  ops: number;
}

/** Median of numbers (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0..100) of an ascending-sorted array, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

const MAX_SAMPLES = 1 << 20;
const samples = new Float64Array(MAX_SAMPLES);

function isPromise(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * Runs `op` back to back for `ms` milliseconds, one at a time (awaiting promises), timing each call.
 * @example
 * const round = await runRound(() => verify(token), 1000);
 */
export async function runRound(op: Operation, ms: number): Promise<RoundResult> {
  let ops = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end) {
    const t0 = now;
    const value = op();
    if (isPromise(value)) await value;
    now = performance.now();
    if (ops < MAX_SAMPLES) samples[ops] = now - t0;
    ops++;
  }
  const elapsed = now - start;
  const recorded = samples.subarray(0, Math.min(ops, MAX_SAMPLES)).sort();
  return {
    opsPerSecond: (ops / elapsed) * 1000,
    p50Us: percentile(recorded, 50) * 1000,
    p99Us: percentile(recorded, 99) * 1000,
    ops,
  };
}

/** A row of an in-process suite: an id, a label and the operation to time. */
export interface BenchCase {
  readonly id: string;
  readonly op: Operation;
}

/** Per-case round results (or the error that stopped the case), keyed by case id. */
export type SuiteRounds = Map<string, RoundResult[] | Error>;

/**
 * Measures several cases with interleaved rounds: warm every case, then round 1 of each case, round 2
 * of each case, … so a burst of background load hits every case alike. A case that throws is dropped
 * from later rounds and reported by its error.
 * @example
 * const rounds = await interleave([{ id: 'floor', op }, { id: 'jose', op: op2 }], { warmupMs: 200, durationMs: 1000, rounds: 5 });
 */
export async function interleave(
  cases: readonly BenchCase[],
  settings: { warmupMs: number; durationMs: number; rounds: number },
): Promise<SuiteRounds> {
  const out: SuiteRounds = new Map(cases.map((c) => [c.id, [] as RoundResult[]]));
  const attempt = async (c: BenchCase, ms: number, keep: boolean) => {
    const sofar = out.get(c.id);
    if (sofar instanceof Error) return;
    try {
      const round = await runRound(c.op, ms);
      if (keep) sofar!.push(round);
    } catch (err) {
      out.set(c.id, err instanceof Error ? err : new Error(String(err)));
    }
  };
  for (const c of cases) await attempt(c, settings.warmupMs, false);
  for (let round = 0; round < settings.rounds; round++) {
    for (const c of cases) await attempt(c, settings.durationMs, true);
  }
  return out;
}

/**
 * The reported figures of a row: medians over its rounds, and the rounds themselves (ratios are
 * taken round by round).
 * @example
 * const { opsPerSecond, rounds } = summarize(rounds.get('floor')!);
 */
export function summarize(rounds: readonly RoundResult[]): {
  opsPerSecond: number;
  p50Us: number;
  p99Us: number;
  rounds: Array<{ opsPerSecond: number; p50Us: number; p99Us: number }>;
} {
  return {
    opsPerSecond: median(rounds.map((r) => r.opsPerSecond)),
    p50Us: median(rounds.map((r) => r.p50Us)),
    p99Us: median(rounds.map((r) => r.p99Us)),
    rounds: rounds.map(({ opsPerSecond, p50Us, p99Us }) => ({ opsPerSecond, p50Us, p99Us })),
  };
}

/**
 * Interleaved measurement after a quick check of each case's verdict; a case whose verdict is wrong
 * is reported with a note instead of figures.
 * @example
 * const results = await measureEach([{ id: 'floor', op }], config);
 */
export async function measureEach(
  cases: BenchCase[],
  config: { warmupMs: number; durationMs: number; rounds: number },
): Promise<Map<string, ReturnType<typeof summarize> | string>> {
  const out = new Map<string, ReturnType<typeof summarize> | string>();
  const healthy: BenchCase[] = [];
  for (const c of cases) {
    try {
      for (let i = 0; i < 3; i++) await c.op();
      healthy.push(c);
    } catch (err) {
      out.set(c.id, `FAILED: ${(err as Error).message}`);
    }
  }
  const rounds = await interleave(healthy, config);
  for (const c of healthy) {
    const r = rounds.get(c.id)!;
    out.set(c.id, r instanceof Error ? `FAILED: ${r.message}` : summarize(r));
  }
  return out;
}
