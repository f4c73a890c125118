/**
 * Paired A/B of the fresh-token path in one process (issue 17's speed work): two builds of
 * `@restguard/core` (A = a baseline `dist/` given by `AB_BASE`, B = the workspace's built package),
 * the floor (raw `node:crypto`) and fast-jwt without cache, interleaved round by round on the same
 * distinct tokens (RS256 and ES256 by default). Prints the per-round ratios, so a shared machine's
 * noise hits both sides of every ratio alike.
 *
 * ```sh
 * cp -r packages/core/dist packages/core/node_modules/.ab-base   # the baseline, once, before a change
 * AB_BASE=../../packages/core/node_modules/.ab-base/index.js node --import tsx src/ab-tokens.ts
 * ```
 * Rates are operations per second of this process's CPU time (`process.cpuUsage`), not of wall time:
 * on a shared machine the wall clock counts the time other processes had the CPU.
 * Variables: `AB_B_TOKENS` (JSON merged into B's `tokens` options, e.g. `{"cache":false}`), `AB_ALGS` (RS256,ES256), `AB_ONLY` (rows to keep, for `--cpu-prof`: floor,fast-jwt,A,B), `AB_ROUNDS` (7), `AB_MS` (300), `AB_SCENARIO` (valid | forged).
 */
import { pathToFileURL } from 'node:url';
import { createVerifier } from 'fast-jwt';
import { createFloorVerifier, hasScope } from './floor.js';
import { type Algorithm, createBenchKey, mintMany, tamperSignature } from './keys.js';
import { median } from './measure.js';
import { credentialRequest } from './restguard/options.js';

type Core = typeof import('@restguard/core');
type Accepts = (token: string) => boolean | Promise<boolean>;

const target = { issuer: 'https://issuer.bench.test', audience: 'https://api.bench.test' };
const algs = (process.env.AB_ALGS ?? 'RS256,ES256').split(',') as Algorithm[];
const rounds = Number(process.env.AB_ROUNDS ?? 7);
const roundMs = Number(process.env.AB_MS ?? 300);
const forged = process.env.AB_SCENARIO === 'forged';

async function loadBase(): Promise<Core | undefined> {
  const base = process.env.AB_BASE;
  if (!base) return undefined;
  return (await import(pathToFileURL(new URL(base, import.meta.url).pathname).href)) as Core;
}

function guardRow(core: Core, jwk: Record<string, string>, extra: object = {}): Accepts {
  const guard = core.createGuard({
    tls: false,
    tokens: { issuers: [{ ...target, jwks: { keys: [jwk] } }], cache: { maxEntries: 1000 }, ...extra },
  });
  return async (token) =>
    (await guard.decide(credentialRequest('authorization', `Bearer ${token}`), ['read'])).allow;
}

function timed(accepts: Accepts, pool: readonly string[]): () => unknown {
  let i = 0;
  return () => {
    const token = pool[i]!;
    i = i + 1 === pool.length ? 0 : i + 1;
    const verdict = accepts(token);
    const check = (v: boolean) => {
      if (v === forged) throw new Error(`wrong verdict for ${forged ? 'a forged' : 'a valid'} token`);
    };
    return typeof verdict === 'boolean' ? check(verdict) : verdict.then(check);
  };
}

async function rowsFor(alg: Algorithm, base: Core | undefined): Promise<Map<string, () => unknown>> {
  const key = await createBenchKey(alg);
  const valid = mintMany(key, target, 3000);
  const pool = forged ? valid.map(tamperSignature) : valid;
  const floor = createFloorVerifier([key], target);
  const fast = createVerifier({
    key: key.publicPem,
    algorithms: [alg],
    allowedIss: target.issuer,
    allowedAud: target.audience,
    cache: false,
  });
  const rows = new Map<string, () => unknown>();
  rows.set(
    'floor',
    timed((t) => ((p) => p !== null && hasScope(p, 'read'))(floor(t)), pool),
  );
  rows.set(
    'fast-jwt',
    timed((t) => {
      try {
        return hasScope(fast(t), 'read');
      } catch {
        return false;
      }
    }, pool),
  );
  if (base) rows.set('A', timed(guardRow(base, key.publicJwk), pool));
  const extra = JSON.parse(process.env.AB_B_TOKENS ?? '{}') as object;
  rows.set('B', timed(guardRow(await import('@restguard/core'), key.publicJwk, extra), pool));
  if (only) for (const name of rows.keys()) if (!only.includes(name)) rows.delete(name);
  await round(rows, 100); // warm-up, keys imported
  return rows;
}

/** Operations and CPU microseconds (this process) spent on them. */
interface Tally {
  ops: number;
  cpuUs: number;
}

/** Runs `op` back to back for `ms` of wall time, adding its operations and CPU time to `tally`. */
async function slice(op: () => unknown, ms: number, tally: Tally): Promise<void> {
  const end = performance.now() + ms;
  const cpu = process.cpuUsage();
  let ops = 0;
  while (performance.now() < end) {
    const value = op();
    if (value instanceof Promise) await value;
    ops++;
  }
  const used = process.cpuUsage(cpu);
  tally.ops += ops;
  tally.cpuUs += used.user + used.system;
}

/** One round: every row in short slices (5 ms) taken in turn, so load changes hit all rows alike. */
async function round(rows: Map<string, () => unknown>, ms: number): Promise<Map<string, number>> {
  const tallies = new Map([...rows.keys()].map((name) => [name, { ops: 0, cpuUs: 0 }]));
  for (let done = 0; done < ms; done += 5) {
    for (const [name, op] of rows) await slice(op, 5, tallies.get(name)!);
  }
  return new Map([...tallies].map(([name, { ops, cpuUs }]) => [name, ops / (cpuUs / 1e6)]));
}

const only = process.env.AB_ONLY?.split(',');

const ratio = (values: number[]) =>
  `median ${median(values).toFixed(3)} (${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)})`;

const base = await loadBase();
for (const alg of algs) {
  const rows = await rowsFor(alg, base);
  const perRound = new Map<string, number[]>([...rows.keys()].map((k) => [k, []]));
  for (let done = 0; done < rounds; done++) {
    for (const [name, rate] of await round(rows, roundMs)) perRound.get(name)!.push(rate);
  }
  const over = (a: string, b: string) => perRound.get(a)!.map((v, i) => v / perRound.get(b)![i]!);
  console.log(
    `${alg} ${forged ? 'forged' : 'valid'} distinct: ops per CPU-second, medians`,
    Object.fromEntries([...perRound].map(([k, v]) => [k, Math.round(median(v))])),
  );
  if (only) continue;
  if (base) console.log(`  B/A       ${ratio(over('B', 'A'))}`);
  if (base) console.log(`  A/floor   ${ratio(over('A', 'floor'))}`);
  console.log(`  B/floor   ${ratio(over('B', 'floor'))}`);
  if (base) console.log(`  A/fast    ${ratio(over('A', 'fast-jwt'))}`);
  console.log(`  B/fast    ${ratio(over('B', 'fast-jwt'))}`);
}
