/**
 * In-process API-key rows (issue 8): hashing alone (SHA-256, HMAC-SHA256), the floor (HMAC + a Map
 * or the store's own `findByHash`), and restguard's `guard.decide(request, ['read'])` against the
 * memory, SQLite and PostgreSQL stores — warm (one key repeated) and cold (keys cycled, more of them
 * than the cache holds, so every lookup reaches the store).
 */
import { createHash, createHmac } from 'node:crypto';
import type { ApiKeyStore, Guard } from '@restguard/core';
import type { BenchConfig } from '../config.js';
import { type BenchCase, measureEach } from '../measure.js';
import { apiKeyOptions, type StoreKeys } from '../restguard/api-keys.js';
import { credentialRequest, reasonOf } from '../restguard/options.js';
import type { BenchRow, RowRole } from '../results.js';
import { cycle } from './tokens.js';

const section = 'In process: API keys';

interface KeyCase {
  readonly id: string;
  readonly label: string;
  readonly role: RowRole;
  readonly op: () => unknown;
}

async function guardFor(
  store: ApiKeyStore,
  pepper: string,
  cacheSize: number,
  webCrypto: boolean,
): Promise<Guard> {
  const core = await import('@restguard/core');
  return core.createGuard({ tls: false, apiKeys: await apiKeyOptions(store, pepper, cacheSize, webCrypto) });
}

/** restguard's two hashers: the default (node:crypto on Node.js) and the portable Web Crypto one. */
const FLAVOURS = [
  { id: 'restguard', suffix: '', webCrypto: false },
  { id: 'restguard-web', suffix: ', Web Crypto hasher', webCrypto: true },
] as const;

function decideOp(guard: Guard, next: () => string): () => Promise<void> {
  return async () => {
    const decision = await guard.decide(credentialRequest('x-api-key', next()), ['read']);
    if (!decision.allow) throw new Error(`a valid key was refused (${decision.answer.status})`);
  };
}

/**
 * Runs the API-key rows for every prepared store.
 * @example
 * const rows = await runApiKeySuite(config, pepper, [memory, sqlite, postgres]);
 */
export async function runApiKeySuite(
  config: BenchConfig,
  pepper: string,
  stores: readonly StoreKeys[],
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const secret = Buffer.from(pepper, 'base64url');
  const hmac = (key: string) => createHmac('sha256', secret).update(key).digest('base64url');
  const guards: Guard[] = [];
  const groups: Array<{ group: string; scenario: string; cases: KeyCase[] }> = [];
  const sample = stores.find((s) => s.keys.length > 0)?.keys ?? ['rg_live_bench'];
  groups.push({
    group: 'inproc/apikey/hash',
    scenario: 'hashing only (node:crypto)',
    cases: [
      {
        id: 'sha256',
        label: 'SHA-256',
        role: 'other',
        op: () => createHash('sha256').update(sample[0]!).digest('base64url'),
      },
      { id: 'hmac', label: 'HMAC-SHA256', role: 'floor', op: () => hmac(sample[0]!) },
    ],
  });
  for (const s of stores) {
    if (!s.store || s.keys.length === 0) {
      rows.push({
        section,
        group: `inproc/apikey/${s.kind}`,
        scenario: s.kind,
        label: 'restguard',
        role: 'restguard',
        note: s.note ?? 'no keys',
      });
      continue;
    }
    const store = s.store;
    const flavours: Array<{ id: string; suffix: string; guard?: Guard; note?: string }> = [];
    for (const f of FLAVOURS) {
      try {
        const guard = await guardFor(store, pepper, config.coldCacheSize, f.webCrypto);
        guards.push(guard);
        flavours.push({ id: f.id, suffix: f.suffix, guard });
      } catch (err) {
        flavours.push({ id: f.id, suffix: f.suffix, note: `not available: ${reasonOf(err)}` });
      }
    }
    const byHash = new Map(s.keys.map((k) => [hmac(k), ['read']]));
    for (const temperature of ['warm', 'cold'] as const) {
      const next = temperature === 'warm' ? () => s.keys[0]! : cycle(s.keys);
      const cases: KeyCase[] = [];
      if (s.kind === 'memory') {
        cases.push({
          id: 'floor',
          label: 'floor: HMAC + Map',
          role: 'floor',
          op: () => byHash.get(hmac(next()))!.includes('read'),
        });
      } else {
        const lookup = async () => {
          if (!(await store.findByHash(hmac(next())))) throw new Error('store lost a key');
        };
        cases.push({ id: 'floor', label: `floor: HMAC + ${s.kind} findByHash`, role: 'floor', op: lookup });
      }
      for (const f of flavours) {
        const label = `restguard guard.decide (${s.kind}${f.suffix})`;
        const group = `inproc/apikey/${s.kind}-${temperature}`;
        if (f.guard) cases.push({ id: f.id, label, role: 'restguard', op: decideOp(f.guard, next) });
        else
          rows.push({
            section,
            group,
            scenario: `${s.kind}, ${temperature}`,
            label,
            role: 'restguard',
            note: f.note,
          });
      }
      groups.push({
        group: `inproc/apikey/${s.kind}-${temperature}`,
        scenario: `${s.kind}, ${temperature}`,
        cases,
      });
    }
  }
  for (const { group, scenario, cases } of groups) {
    const results = await measureEach(cases as BenchCase[], config);
    for (const c of cases) {
      const r = results.get(c.id)!;
      const row: BenchRow = { section, group, scenario, label: c.label, role: c.role };
      if (typeof r === 'string') row.note = r;
      else Object.assign(row, r);
      rows.push(row);
    }
  }
  for (const guard of guards) await guard.close();
  return rows;
}
