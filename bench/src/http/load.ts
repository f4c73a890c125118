/**
 * One load run against a child server: `wrk` (C, one thread, 10 connections) pinned with `taskset`
 * to its own CPU while the server is pinned to another, so the generator never caps the server. A
 * Lua script (rotate.lua) gives each request the next credential of a pool — one value for the
 * repeated rows, thousands of distinct ones for the cache-cold rows — at the same cost either way.
 * Latency percentiles come from wrk in microseconds. Every response must carry the expected status
 * class, else the run is void. autocannon (JavaScript) is the fallback where wrk is not installed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const script = join(dirname(fileURLToPath(import.meta.url)), 'rotate.lua');

/** Which credential each request carries. */
export interface Credentials {
  readonly header: 'authorization' | 'x-api-key';
  /** The values; more than one → cycled per request (the cache-cold rows). */
  readonly values: readonly string[];
  /** Prepended to each value (`Bearer `). */
  readonly scheme?: string;
}

/** Figures of one run; latency in microseconds. */
export interface LoadResult {
  opsPerSecond: number;
  p50Us: number;
  p99Us: number;
  /** Set when any response had another status than expected, or a request failed. */
  problem?: string;
}

/** How load is generated on this machine. */
export interface LoadPlan {
  /** `wrk` when installed, else autocannon in this process. */
  readonly generator: 'wrk' | 'autocannon';
  /** CPU for the generator and CPU for the servers (`taskset`), or null when not pinned. */
  readonly cpus: { readonly generator: number; readonly server: number } | null;
  readonly connections: number;
  /** Where pool files are written. */
  readonly dir: string;
}

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides the generator and the CPU pinning: wrk and taskset when both exist and there are two
 * CPUs or more (generator on CPU 0, servers on CPU 1).
 * @example
 * const plan = planLoad(2, '/tmp/work', 10);
 */
export function planLoad(cpuCount: number, dir: string, connections: number): LoadPlan {
  const wrk = has('wrk', ['--version']) || has('which', ['wrk']);
  const taskset = has('taskset', ['-c', '0', 'true']);
  return {
    generator: wrk ? 'wrk' : 'autocannon',
    cpus: taskset && cpuCount >= 2 ? { generator: 0, server: 1 } : null,
    connections,
    dir,
  };
}

/**
 * One line for the report: how load was generated and where things ran.
 * @example
 * describePlan(plan); // 'wrk 1 thread × 10 connections on CPU 0, servers on CPU 1 (taskset)'
 */
export function describePlan(plan: LoadPlan): string {
  const gen =
    plan.generator === 'wrk'
      ? `wrk, 1 thread × ${plan.connections} connections, rotate.lua`
      : `autocannon (wrk not installed), ${plan.connections} connections`;
  return plan.cpus
    ? `${gen}; generator on CPU ${plan.cpus.generator}, servers on CPU ${plan.cpus.server} (taskset)`
    : `${gen}; not pinned (taskset missing or one CPU)`;
}

/**
 * Pins a running process (all its threads) to the servers' CPU.
 * @example
 * pinServer(plan, child.pid);
 */
export function pinServer(plan: LoadPlan, pid: number | undefined): void {
  if (!plan.cpus || pid === undefined) return;
  execFileSync('taskset', ['-a', '-cp', String(plan.cpus.server), String(pid)], { stdio: 'ignore' });
}

/**
 * Sends one request and returns its status (the sanity probe before any measurement).
 * @example
 * await probe(port, '/api/notes', credentials); // 200
 */
export async function probe(port: number, path: string, credentials: Credentials): Promise<number> {
  const value = `${credentials.scheme ?? ''}${credentials.values[0]}`;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { [credentials.header]: value } });
  await res.arrayBuffer();
  return res.status;
}

const pools = new Map<readonly string[], string>();

function poolFile(plan: LoadPlan, values: readonly string[]): string {
  let file = pools.get(values);
  if (!file) {
    file = join(plan.dir, `pool-${pools.size}.txt`);
    writeFileSync(file, `${values.join('\n')}\n`);
    pools.set(values, file);
  }
  return file;
}

interface WrkSummary {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  status: number;
  p50Us: number;
  p99Us: number;
}

function runWrk(plan: LoadPlan, url: string, credentials: Credentials, ms: number): Promise<WrkSummary> {
  const wrkArgs = [
    '-t1',
    `-c${plan.connections}`,
    `-d${Math.max(1, Math.ceil(ms / 1000))}s`,
    '--timeout',
    '10s',
    '-s',
    script,
    url,
    '--',
    poolFile(plan, credentials.values),
    credentials.header,
    credentials.scheme ?? '',
  ];
  const [command, args] = plan.cpus
    ? ['taskset', ['-c', String(plan.cpus.generator), 'wrk', ...wrkArgs]]
    : ['wrk', wrkArgs];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    // wrk takes whole seconds: any other length (1.5 s, or 120 ms in smoke mode) ends with a SIGINT,
    // after which wrk reports what it measured over the time it actually ran.
    const stop = ms % 1000 !== 0 ? setTimeout(() => child.kill('SIGINT'), ms) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (stop) clearTimeout(stop);
      const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
      if (!line)
        reject(new Error(`wrk exited (${code}) without figures: ${err.trim().split('\n')[0] ?? ''}`));
      else resolve(JSON.parse(line) as WrkSummary);
    });
  });
}

/**
 * Runs one load run against `port` + `path` for `ms` milliseconds.
 * @example
 * const r = await load(plan, port, '/api/notes', creds, 200, 2000);
 */
export async function load(
  plan: LoadPlan,
  port: number,
  path: string,
  credentials: Credentials,
  expectStatus: number,
  ms: number,
): Promise<LoadResult> {
  const url = `http://127.0.0.1:${port}${path}`;
  if (plan.generator === 'autocannon') return loadAutocannon(plan, url, credentials, expectStatus, ms);
  // A SIGINT that lands before wrk has set up its handler ends it without figures: try once more, longer.
  let s = await runWrk(plan, url, credentials, ms).catch(() =>
    runWrk(plan, url, credentials, Math.max(ms * 2, 1000)),
  );
  // On a loaded machine a short run (120 ms in smoke mode) can end before the first answer arrives:
  // measure once more, longer. A server that really does not answer still reports 'no response'.
  if (s.requests === 0 && s.connect + s.read + s.write + s.timeout === 0) {
    s = await runWrk(plan, url, credentials, Math.max(ms * 4, 1000));
  }
  const failed = s.connect + s.read + s.write + s.timeout;
  // wrk counts every response outside 2xx/3xx as a status error: all of them when 401 is expected.
  const wrongStatus = expectStatus < 400 ? s.status : s.requests - s.status;
  let problem: string | undefined;
  if (failed > 0) problem = `${failed} socket errors or timeouts`;
  else if (s.requests === 0) problem = 'no response';
  else if (wrongStatus !== 0) problem = `${wrongStatus} of ${s.requests} responses were not ${expectStatus}`;
  return {
    opsPerSecond: s.requests / (s.durationUs / 1e6),
    p50Us: s.p50Us,
    p99Us: s.p99Us,
    ...(problem ? { problem } : {}),
  };
}

async function loadAutocannon(
  plan: LoadPlan,
  url: string,
  credentials: Credentials,
  expectStatus: number,
  ms: number,
): Promise<LoadResult> {
  const { header, values, scheme = '' } = credentials;
  let i = 0;
  const result = await autocannon({
    url,
    connections: plan.connections,
    duration: Math.max(1, Math.round(ms / 1000)),
    headers: { [header]: `${scheme}${values[0]}` },
    requests: [
      {
        method: 'GET',
        setupRequest: (req: { headers?: Record<string, string> }) => {
          req.headers = { ...req.headers, [header]: `${scheme}${values[i]}` };
          i = i + 1 === values.length ? 0 : i + 1;
          return req;
        },
      },
    ],
  } as autocannon.Options);
  const total = result.requests.total;
  const expected = (result as unknown as Record<string, number>)[`${Math.floor(expectStatus / 100)}xx`] ?? 0;
  let problem: string | undefined;
  if (result.errors > 0 || result.timeouts > 0)
    problem = `${result.errors} errors, ${result.timeouts} timeouts`;
  else if (total === 0) problem = 'no response';
  else if (expected !== total) problem = `${total - expected} of ${total} responses were not ${expectStatus}`;
  return {
    opsPerSecond: total / result.duration,
    p50Us: result.latency.p50 * 1000,
    p99Us: result.latency.p99 * 1000,
    ...(problem ? { problem } : {}),
  };
}
