/**
 * The memory row (issue 17: "1 M distinct tokens through a default cache stay within its stated
 * bound"): N distinct EdDSA tokens, minted one at a time (never held), each through restguard's
 * `guard.decide` with the default verified-token cache (10,000 entries, 16 MiB). The baseline is taken
 * from an empty cache — after the guard has fetched its keys (a forged token, refused and never cached)
 * — and heap and RSS are sampled again after a forced GC at the end: the growth is what the cache's
 * byte bound must hold. The cache counts the bytes it retains (principal and claims included).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Guard } from '@restguard/core';
import type { BenchConfig } from '../config.js';
import { type BenchKey, mintToken, type TokenAudience, tamperSignature } from '../keys.js';
import { credentialRequest, reasonOf, tokenOptions } from '../restguard/options.js';
import type { BenchRow } from '../results.js';

/** The default cache bounds of restguard's token verifier (TokenCacheOptions). */
const CACHE_ENTRIES = 10_000;
const CACHE_BYTES = 16 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function sample(): { heapMb: number; rssMb: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { heapMb: usage.heapUsed / 2 ** 20, rssMb: usage.rss / 2 ** 20 };
}

/**
 * Runs the memory row.
 * @example
 * const rows = await runMemorySuite(config, keys.EdDSA, target, jwksUrl);
 */
export async function runMemorySuite(
  config: BenchConfig,
  key: BenchKey,
  target: TokenAudience,
  jwksUrl: string,
): Promise<BenchRow[]> {
  const count = config.memoryTokens;
  const row: BenchRow = {
    section: 'In process: memory',
    group: 'inproc/memory',
    scenario: `${count} distinct EdDSA tokens from an empty cache, default bounds (${CACHE_ENTRIES} entries / 16 MiB)`,
    label: 'restguard guard.decide',
    role: 'restguard',
  };
  let guard: Guard;
  try {
    const core = await import('@restguard/core');
    const options = await tokenOptions({ ...target, jwksUrl, cacheSize: CACHE_ENTRIES });
    // The default cache: no bounds given.
    guard = core.createGuard({ tls: false, tokens: { ...options, cache: {} } });
  } catch (err) {
    return [{ ...row, note: `not available: ${reasonOf(err)}` }];
  }
  const forged = await guard.decide(
    credentialRequest('authorization', `Bearer ${tamperSignature(mintToken(key, target))}`),
    ['read'],
  );
  if (forged.allow) {
    await guard.close();
    return [{ ...row, note: 'FAILED: a forged token was accepted' }];
  }
  const start = sample();
  const began = performance.now();
  for (let i = 1; i <= count; i++) {
    const decision = await guard.decide(
      credentialRequest('authorization', `Bearer ${mintToken(key, target)}`),
      ['read'],
    );
    if (!decision.allow) {
      await guard.close();
      return [{ ...row, note: `FAILED: token ${i} was refused (${decision.answer.status})` }];
    }
  }
  const elapsed = performance.now() - began;
  const end = sample();
  await guard.close();
  row.opsPerSecond = (count / elapsed) * 1000;
  row.memory = {
    tokens: count,
    cacheEntries: CACHE_ENTRIES,
    cacheBytes: CACHE_BYTES,
    heapAtStartMb: start.heapMb,
    heapAtEndMb: end.heapMb,
    rssAtStartMb: start.rssMb,
    rssAtEndMb: end.rssMb,
    heapGrowthMb: end.heapMb - start.heapMb,
    rssGrowthMb: end.rssMb - start.rssMb,
  };
  row.note = `heap +${row.memory.heapGrowthMb.toFixed(1)} MiB, RSS +${row.memory.rssGrowthMb.toFixed(1)} MiB from an empty cache (bound ${CACHE_BYTES / 2 ** 20} MiB); ops/s includes minting`;
  return [row];
}
