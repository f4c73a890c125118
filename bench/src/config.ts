/**
 * Benchmark settings, read once from the environment (the bench is an app: `process.env` is fine here).
 *
 * - `RESTGUARD_BENCH_SMOKE=1`: every row, tiny durations, one round — proves the bench still runs.
 * - `RESTGUARD_BENCH_DURATION_MS`, `RESTGUARD_BENCH_ROUNDS`: in-process round length and round count.
 * - `RESTGUARD_BENCH_HTTP_SECONDS`, `RESTGUARD_BENCH_HTTP_ROUNDS`: wrk run length and rounds (≥ 5 paired
 *   rounds in a full run).
 * - `RESTGUARD_BENCH_ONLY`: comma-separated substrings; only suites/rows whose id contains one run.
 * - `RESTGUARD_BENCH_MEMORY_TOKENS`: distinct tokens pushed through restguard for the memory row.
 * - `RESTGUARD_BENCH_OUT`: output directory (default `bench/results`; smoke defaults to the OS temp dir).
 * - `RESTGUARD_BENCH_CPU_PROFILE_DIR`: each HTTP server child writes a CPU profile there on exit.
 * - `TEST_DATABASE_URL`: PostgreSQL for the API-key store rows; unset → those rows carry a note.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every knob of one benchmark run. */
export interface BenchConfig {
  readonly smoke: boolean;
  /** In-process: warm-up before each measured round, ms. */
  readonly warmupMs: number;
  /** In-process: length of one measured round, ms. */
  readonly durationMs: number;
  /** In-process and HTTP: rounds per row (the median is reported). */
  readonly rounds: number;
  /** HTTP: milliseconds per load run (wrk stops early on SIGINT below one second: smoke mode). */
  readonly httpMs: number;
  /** HTTP: an unrecorded run of every row before the rounds (JIT, caches, connections), ms; 0: none. */
  readonly httpWarmupMs: number;
  readonly httpRounds: number;
  /** Concurrent connections of the load generator (issue 8: 10). */
  readonly connections: number;
  /** Distinct tokens minted per algorithm for the cache-cold rows. */
  readonly distinctTokens: number;
  /** API keys in each store; the cold rows cycle through all of them. */
  readonly apiKeys: number;
  /** Verified-token / API-key cache size given to every cached verifier in the cold rows. */
  readonly coldCacheSize: number;
  /** Distinct tokens for the memory row, from an empty cache (default 1,000,000). */
  readonly memoryTokens: number;
  readonly only: readonly string[];
  readonly outDir: string;
  readonly databaseUrl: string | undefined;
  /** Where HTTP server children write `--cpu-prof` profiles (unset: not profiled). */
  readonly cpuProfileDir: string | undefined;
}

const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/**
 * Reads the configuration from the environment.
 * @example
 * const config = readConfig(); // RESTGUARD_BENCH_SMOKE=1 → smoke settings
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const smoke = env.RESTGUARD_BENCH_SMOKE === '1' || env.RESTGUARD_BENCH_SMOKE === 'true';
  const only = (env.RESTGUARD_BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const outDir =
    env.RESTGUARD_BENCH_OUT ||
    (smoke ? mkdtempSync(join(tmpdir(), 'restguard-bench-')) : join(benchRoot, 'results'));
  return {
    smoke,
    warmupMs: smoke ? 10 : num('RESTGUARD_BENCH_WARMUP_MS', 300),
    durationMs: smoke ? 20 : num('RESTGUARD_BENCH_DURATION_MS', 800),
    rounds: smoke ? 2 : num('RESTGUARD_BENCH_ROUNDS', 5),
    httpMs: smoke ? 120 : Math.round(num('RESTGUARD_BENCH_HTTP_SECONDS', 1.5) * 1000),
    httpWarmupMs: smoke ? 0 : 1000,
    httpRounds: smoke ? 2 : num('RESTGUARD_BENCH_HTTP_ROUNDS', 5),
    connections: 10,
    distinctTokens: smoke ? 40 : num('RESTGUARD_BENCH_DISTINCT_TOKENS', 3000),
    apiKeys: smoke ? 200 : num('RESTGUARD_BENCH_API_KEYS', 100_000),
    coldCacheSize: smoke ? 8 : 1000,
    memoryTokens: smoke ? 2000 : num('RESTGUARD_BENCH_MEMORY_TOKENS', 1_000_000),
    only,
    outDir,
    databaseUrl: env.TEST_DATABASE_URL || undefined,
    cpuProfileDir: env.RESTGUARD_BENCH_CPU_PROFILE_DIR || undefined,
  };
}

/**
 * True when a suite or row id is selected by `RESTGUARD_BENCH_ONLY` (no filter: everything): the id
 * contains a filter part, or a part narrows within the id (`http/hono/valid-distinct` selects the
 * suite `http/hono`, then only that scenario's rows).
 * @example
 * selected(config, 'http/express/restguard'); // true when ONLY=express
 */
export function selected(config: BenchConfig, id: string): boolean {
  return (
    config.only.length === 0 || config.only.some((part) => id.includes(part) || part.startsWith(`${id}/`))
  );
}
