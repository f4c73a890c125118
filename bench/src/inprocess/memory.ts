/**
 * The memory row (issue 8: "caches hold their caps; 1M distinct tokens do not grow RSS beyond the
 * configured bound"): N distinct EdDSA tokens, minted one at a time (never held), each through
 * restguard's `guard.decide`, with the default verified-token cache bounds (10,000 entries, 16 MiB).
 * Heap and RSS are sampled after a forced GC once the cache is full and again at the end; the growth
 * in between is what the cap must hold.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Guard } from '@restguard/core';
import type { BenchConfig } from '../config.js';
import { type BenchKey, mintToken, type TokenAudience } from '../keys.js';
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
  const entries = config.smoke ? config.coldCacheSize : CACHE_ENTRIES;
  const count = config.memoryTokens;
  const row: BenchRow = {
    section: 'In process: memory',
    group: 'inproc/memory',
    scenario: `${count} distinct EdDSA tokens, cache ${entries} entries / 16 MiB`,
    label: 'restguard guard.decide',
    role: 'restguard',
  };
  let guard: Guard;
  try {
    const core = await import('@restguard/core');
    guard = core.createGuard({
      tls: false,
      tokens: await tokenOptions({ ...target, jwksUrl, cacheSize: entries }),
    });
  } catch (err) {
    return [{ ...row, note: `not available: ${reasonOf(err)}` }];
  }
  const full = Math.min(count, entries * 2);
  let atFull = sample();
  const start = performance.now();
  for (let i = 1; i <= count; i++) {
    const decision = await guard.decide(
      credentialRequest('authorization', `Bearer ${mintToken(key, target)}`),
      ['read'],
    );
    if (!decision.allow) {
      await guard.close();
      return [{ ...row, note: `FAILED: token ${i} was refused (${decision.answer.status})` }];
    }
    if (i === full) atFull = sample();
  }
  const elapsed = performance.now() - start;
  const end = sample();
  await guard.close();
  const growth = end.heapMb - atFull.heapMb;
  row.opsPerSecond = (count / elapsed) * 1000;
  row.memory = {
    tokens: count,
    cacheEntries: entries,
    cacheBytes: CACHE_BYTES,
    heapAtCacheFullMb: atFull.heapMb,
    heapAtEndMb: end.heapMb,
    rssAtCacheFullMb: atFull.rssMb,
    rssAtEndMb: end.rssMb,
    heapGrowthMb: growth,
  };
  row.note = `heap ${atFull.heapMb.toFixed(1)} MB after ${full} tokens (cache full) → ${end.heapMb.toFixed(1)} MB after ${count}; RSS ${atFull.rssMb.toFixed(0)} → ${end.rssMb.toFixed(0)} MB (includes minting)`;
  return [row];
}
