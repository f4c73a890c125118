/**
 * In-process token rows (issue 8): per algorithm, the floor (raw `node:crypto`), `jose.jwtVerify`,
 * fast-jwt without and with its cache, and restguard's full authenticate + authorize
 * (`guard.decide(request, ['read'])`), for valid distinct tokens (cache cold), one repeated token
 * (cache warm) and tampered tokens. Every operation checks its answer, so a row can never measure a
 * verifier that skipped a check.
 */
import { createVerifier } from 'fast-jwt';
import { importJWK, jwtVerify } from 'jose';
import { type BenchConfig, selected } from '../config.js';
import { createFloorVerifier, hasScope } from '../floor.js';
import { type Algorithm, type BenchKey, mintMany, type TokenAudience, tamperSignature } from '../keys.js';
import { type BenchCase, measureEach } from '../measure.js';
import type { RestguardBench } from '../restguard/in-process.js';
import type { BenchRow, RowRole } from '../results.js';

/** Answers whether a verifier accepted a token (with the `read` scope). */
type Accepts = (token: string) => boolean | Promise<boolean>;

interface Verifier {
  readonly key: string;
  readonly label: string;
  readonly role: RowRole;
  readonly accepts: Accepts;
}

const SCENARIOS = [
  { key: 'valid-distinct', label: 'valid, distinct tokens (cache cold)', valid: true, repeated: false },
  { key: 'valid-repeated', label: 'valid, one repeated token (cache warm)', valid: true, repeated: true },
  { key: 'invalid-distinct', label: 'tampered signature, distinct tokens', valid: false, repeated: false },
] as const;

/**
 * Turns an acceptance check into a timed operation that fails loudly when the verdict is wrong.
 * @example
 * const op = checked(accepts, next, true);
 */
export function checked(accepts: Accepts, next: () => string, expected: boolean): () => unknown {
  const fail = () => {
    throw new Error(expected ? 'a valid token was refused' : 'a forged token was accepted');
  };
  return () => {
    const verdict = accepts(next());
    if (typeof verdict === 'boolean') {
      if (verdict !== expected) fail();
      return undefined;
    }
    return verdict.then((v) => {
      if (v !== expected) fail();
    });
  };
}

/**
 * Cycles through a pool of tokens, one per call.
 * @example
 * const next = cycle(['a', 'b']); next(); // 'a'
 */
export function cycle(pool: readonly string[]): () => string {
  let i = 0;
  return () => {
    const value = pool[i]!;
    i = i + 1 === pool.length ? 0 : i + 1;
    return value;
  };
}

async function peerVerifiers(key: BenchKey, target: TokenAudience, cacheSize: number): Promise<Verifier[]> {
  const floor = createFloorVerifier([key], target);
  const cryptoKey = await importJWK(key.publicJwk, key.alg);
  const joseOptions = { issuer: target.issuer, audience: target.audience, algorithms: [key.alg] };
  const fast = (cache: number | false) =>
    createVerifier({
      key: key.publicPem,
      algorithms: [key.alg],
      allowedIss: target.issuer,
      allowedAud: target.audience,
      cache,
    });
  const plain = fast(false);
  const cached = fast(cacheSize);
  const fastAccepts = (verify: (t: string) => Record<string, unknown>) => (token: string) => {
    try {
      return hasScope(verify(token), 'read');
    } catch {
      return false;
    }
  };
  return [
    {
      key: 'floor',
      label: 'floor: node:crypto verify',
      role: 'floor',
      accepts: (t) => {
        const p = floor(t);
        return p !== null && hasScope(p, 'read');
      },
    },
    {
      key: 'jose',
      label: 'jose.jwtVerify',
      role: 'peer',
      accepts: (t) =>
        jwtVerify(t, cryptoKey, joseOptions).then(
          (r) => hasScope(r.payload, 'read'),
          () => false,
        ),
    },
    { key: 'fast-jwt', label: 'fast-jwt', role: 'other', accepts: fastAccepts(plain) },
    {
      key: 'fast-jwt-cache',
      label: `fast-jwt, cache ${cacheSize}`,
      role: 'other',
      accepts: fastAccepts(cached),
    },
  ];
}

/**
 * Runs the in-process token rows for every algorithm.
 * @example
 * const rows = await runTokenSuite(config, keys, target, restguard);
 */
export async function runTokenSuite(
  config: BenchConfig,
  keys: Readonly<Record<Algorithm, BenchKey>>,
  target: TokenAudience,
  restguard: RestguardBench,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const key of Object.values(keys)) {
    const section = `In process: ${key.alg}`;
    if (!selected(config, `inproc/${key.alg}`)) continue;
    const verifiers = await peerVerifiers(key, target, config.coldCacheSize);
    const guards = await restguard.tokenVerifiers(key);
    for (const g of guards) {
      if ('note' in g)
        rows.push({
          section,
          group: `inproc/${key.alg}/*`,
          scenario: 'all',
          label: g.label,
          role: 'restguard',
          note: g.note,
        });
      else verifiers.push({ key: g.key, label: g.label, role: 'restguard', accepts: g.accepts });
    }
    const pool = mintMany(key, target, config.distinctTokens);
    const forged = pool.map(tamperSignature);
    for (const scenario of SCENARIOS) {
      const group = `inproc/${key.alg}/${scenario.key}`;
      if (!selected(config, group)) continue;
      const source = scenario.valid ? pool : forged;
      const cases: BenchCase[] = verifiers.map((v) => ({
        id: v.key,
        op: checked(v.accepts, scenario.repeated ? () => source[0]! : cycle(source), scenario.valid),
      }));
      const results = await measureEach(cases, config);
      for (const v of verifiers) {
        const r = results.get(v.key)!;
        const row: BenchRow = { section, group, scenario: scenario.label, label: v.label, role: v.role };
        if (typeof r === 'string') row.note = r;
        else Object.assign(row, r);
        rows.push(row);
      }
    }
  }
  return rows;
}
