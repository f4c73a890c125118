/**
 * Floods at the highest rate the load process reaches: random unknown `kid`s, random garbage
 * credentials, random well-formed unknown API keys. demo-express against `@restguard/testing`'s issuer
 * and a private PostgreSQL with pg_stat_statements (to count the store's lookups). Bounds: every answer
 * 401, never a 5xx; JWKS fetches bounded by the 30 s cooldown; store lookups bounded by the negative
 * cache (at most two per distinct key); memory bounded: a second round of all three floods grows the
 * RSS by less than 64 MiB over the first round's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './cluster.js';
import { sql } from './database.js';
import { type LoadKind, report, rssMiB, runLoad, type Started, startApp, tempDir } from './processes.js';

const SECONDS = Number(process.env.RESTGUARD_FLOOD_SECONDS ?? 6);
const CONNECTIONS = 8;
const COOLDOWN_S = 30;
const KEY_POOL = 200;
/** Growth allowed between the end of the first round and the end of the second (a plateau). */
const RSS_GROWTH_BOUND_MIB = 64;

describe('floods', () => {
  let issuer: TestIssuer;
  let cluster: Cluster;
  let app: Started;
  let base: string;
  let caFile: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ https: true, audience: 'https://notes.restguard.test' });
    cluster = await startCluster(['shared_preload_libraries=pg_stat_statements']);
    await sql(cluster.url, 'CREATE EXTENSION pg_stat_statements');
    const dir = tempDir('floods');
    const issuerCa = path.join(dir, 'issuer-ca.pem');
    writeFileSync(issuerCa, issuer.caPem!);
    app = await startApp(
      'demo-express',
      {
        PORT: '0',
        AUTH_ISSUER: issuer.url,
        DATABASE_URL: cluster.url,
        NODE_EXTRA_CA_CERTS: issuerCa,
        RESTGUARD_DATA_DIR: dir,
      },
      /development CA: \S+\n/,
    );
    const out = app.output();
    base = /listening on (https:\/\/\S+)/.exec(out)![1]!;
    caFile = /development CA: (\S+)/.exec(out)![1]!;
    // Warm: discovery and JWKS fetched once by a valid token.
    const res = await fetch(`${base}/api/notes`, {
      headers: { authorization: `Bearer ${await issuer.mint({ scope: 'read' })}` },
      dispatcher: new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await app?.stop();
    await cluster?.destroy();
    await issuer?.close();
  });

  const lookups = async () =>
    Number(
      (
        await sql<{ calls: string | null }>(
          cluster.url,
          `SELECT sum(calls) AS calls FROM pg_stat_statements WHERE query LIKE '%api_keys WHERE hash = $1%'`,
        )
      )[0]!.calls ?? 0,
    );
  const flood = (kind: Omit<LoadKind, 'path' | 'expect'>) =>
    runLoad({
      base,
      caFile,
      seconds: SECONDS,
      connections: CONNECTIONS,
      issuer: issuer.url,
      audience: issuer.audience,
      kinds: [{ ...kind, path: '/api/notes', expect: [401] }],
    });

  it('refuses every flooded credential with 401, bounded in JWKS fetches, store lookups and memory (two rounds)', async () => {
    const rssBefore = rssMiB(app.child.pid!);
    const jwksBefore = issuer.requests.jwks;
    const kids = await flood({ name: 'unknown kid', generate: 'unknownKid' });
    const jwksFetches = issuer.requests.jwks - jwksBefore;
    const garbage = await flood({ name: 'garbage', generate: 'garbage' });
    const lookupsBefore = await lookups();
    const keys = await flood({ name: 'unknown key', generate: 'unknownKey', pool: KEY_POOL });
    const storeLookups = (await lookups()) - lookupsBefore;
    const rssAfterFirst = rssMiB(app.child.pid!);
    const second = [
      await flood({ name: 'unknown kid', generate: 'unknownKid' }),
      await flood({ name: 'garbage', generate: 'garbage' }),
      await flood({ name: 'unknown key', generate: 'unknownKey', pool: KEY_POOL }),
    ];
    const rssAfter = rssMiB(app.child.pid!);

    for (const result of [kids, garbage, keys, ...second]) {
      expect(result.errors).toBe(0);
      expect(result.unexpected).toEqual([]);
      expect(result.total).toBeGreaterThan(0);
    }
    expect(jwksFetches).toBeLessThanOrEqual(Math.floor(SECONDS / COOLDOWN_S) + 1);
    expect(storeLookups).toBeLessThanOrEqual(KEY_POOL * 2);
    expect(rssAfter - rssAfterFirst).toBeLessThan(RSS_GROWTH_BOUND_MIB);
    expect(app.child.exitCode).toBeNull();
    for (const [name, result] of [
      ['unknown kids', kids],
      ['garbage credentials', garbage],
      ['unknown API keys', keys],
    ] as const) {
      report(`floods: ${name}`, {
        requests: result.total,
        perSecond: result.rate,
        statuses: Object.keys(result.stats[Object.keys(result.stats)[0]!]!.statuses).join('/'),
        worstLatencyMs: result.worstMs,
      });
    }
    report('floods: bounds', {
      jwksFetches,
      jwksBound: Math.floor(SECONDS / COOLDOWN_S) + 1,
      distinctKeys: KEY_POOL,
      storeLookups,
      storeLookupBound: KEY_POOL * 2,
      rssBeforeMiB: rssBefore,
      rssAfterFirstRoundMiB: rssAfterFirst,
      rssAfterSecondRoundMiB: rssAfter,
      secondRoundRequests: second.reduce((sum, r) => sum + r.total, 0),
      rssGrowthBoundMiB: RSS_GROWTH_BOUND_MIB,
    });
  });
});
