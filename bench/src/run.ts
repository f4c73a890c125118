/**
 * `pnpm bench`: the whole benchmark in one run — in-process rows, then HTTP rows per framework —
 * written to `results/<timestamp>.{md,json,svg}` (smoke mode: the OS temp dir), the targets table
 * printed. Settings: see config.ts; method, rows and targets: README.md.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type BenchConfig, readConfig } from './config.js';
import type { Fixture } from './http/fixture.js';
import { describePlan, planLoad } from './http/load.js';
import type { HttpMaterial } from './http/rows.js';
import { runHttpSuite } from './http/run-http.js';
import { runApiKeySuite } from './inprocess/api-keys.js';
import { runMemorySuite } from './inprocess/memory.js';
import { runTokenSuite } from './inprocess/tokens.js';
import { startJwksServer } from './jwks-server.js';
import {
  ALGORITHMS,
  type Algorithm,
  type BenchKey,
  createBenchKey,
  mintMany,
  mintToken,
  tamperSignature,
} from './keys.js';
import { targetsTable, writeReport } from './report.js';
import { benchSchemaName, dropPostgresSchema, prepareStore, type StoreKeys } from './restguard/api-keys.js';
import { createRestguardBench } from './restguard/in-process.js';
import { type BenchReport, type BenchRow, computeRatios } from './results.js';
import { evaluateTargets } from './targets.js';

const began = performance.now();
const log = (message: string) =>
  process.stderr.write(`[bench +${((performance.now() - began) / 1000).toFixed(1)}s] ${message}\n`);
const AUDIENCE = 'https://bench.restguard.test';

function wants(config: BenchConfig, ...parts: string[]): boolean {
  return (
    config.only.length === 0 || config.only.some((o) => parts.some((p) => p.includes(o) || o.includes(p)))
  );
}

async function prepareStores(
  config: BenchConfig,
  pepper: string,
  dir: string,
  schema: string,
): Promise<StoreKeys[]> {
  const memoryCount = Math.max(config.coldCacheSize * 3, 16);
  log(
    `creating API keys: memory ${memoryCount}, SQLite ${config.apiKeys}${config.databaseUrl ? `, PostgreSQL ${config.apiKeys}` : ''}`,
  );
  const stores = [
    await prepareStore('memory', null, pepper, memoryCount),
    await prepareStore('sqlite', join(dir, 'api-keys.sqlite'), pepper, config.apiKeys),
  ];
  if (config.databaseUrl)
    stores.push(await prepareStore('postgres', config.databaseUrl, pepper, config.apiKeys, schema));
  else stores.push({ kind: 'postgres', keys: [], note: 'skipped: TEST_DATABASE_URL is not set' });
  return stores;
}

async function main(): Promise<void> {
  const config = readConfig();
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'restguard-bench-work-'));
  const notes: string[] = [];
  const rows: BenchRow[] = [];
  let loadGenerator: string | undefined;
  log(`${config.smoke ? 'smoke' : 'full'} run; output → ${config.outDir}`);
  const keyList = await Promise.all(ALGORITHMS.map((alg) => createBenchKey(alg)));
  const keys = Object.fromEntries(keyList.map((k) => [k.alg, k])) as Record<Algorithm, BenchKey>;
  const jwks = await startJwksServer(keyList.map((k) => k.publicJwk));
  const target = { issuer: jwks.issuer, audience: AUDIENCE };
  const pepper = randomBytes(32).toString('base64url');
  const hmac = (key: string) =>
    createHmac('sha256', Buffer.from(pepper, 'base64url')).update(key).digest('base64url');
  const needStores = wants(config, 'inproc/apikey', 'http/express', 'http/fastify', 'http/hono');
  const schema = benchSchemaName();
  const stores = needStores ? await prepareStores(config, pepper, work, schema) : [];
  const store = (kind: string) => stores.find((s) => s.kind === kind);
  if (!config.databaseUrl) notes.push('PostgreSQL rows skipped: TEST_DATABASE_URL is not set.');

  const restguard = await createRestguardBench({
    ...target,
    jwksUrl: jwks.jwksUrl,
    cacheSize: config.coldCacheSize,
  });
  try {
    if (wants(config, 'inproc/RS256', 'inproc/PS256', 'inproc/ES256', 'inproc/EdDSA')) {
      log('in-process token rows');
      rows.push(...(await runTokenSuite(config, keys, target, restguard)));
    }
    if (wants(config, 'inproc/memory')) {
      log(`in-process memory row (${config.memoryTokens} distinct tokens)`);
      rows.push(...(await runMemorySuite(config, keys.EdDSA, target, jwks.jwksUrl)));
    }
    if (wants(config, 'inproc/apikey')) {
      log('in-process API-key rows');
      rows.push(...(await runApiKeySuite(config, pepper, stores)));
    }
    if (wants(config, 'http/express', 'http/fastify', 'http/hono')) {
      const rs = keys.RS256;
      const memoryKeys = store('memory')?.keys.length
        ? store('memory')!.keys
        : [`rg_live_${randomBytes(24).toString('hex')}`];
      const memoryRecords = store('memory')?.store
        ? await store('memory')!.store!.list({ includeRevoked: true })
        : [];
      const fixture: Fixture = {
        ...target,
        jwksUrl: jwks.jwksUrl,
        alg: 'RS256',
        publicPem: rs.publicPem,
        publicJwk: rs.publicJwk,
        floorApiKeys: Object.fromEntries(memoryKeys.map((k) => [hmac(k), ['read']])),
        pepper,
        cacheSize: config.coldCacheSize,
        memoryRecords: JSON.parse(JSON.stringify(memoryRecords)),
        sqlitePath: store('sqlite')?.store ? join(work, 'api-keys.sqlite') : null,
        postgresUrl: store('postgres')?.store ? config.databaseUrl! : null,
        postgresSchema: schema,
      };
      const fixturePath = join(work, 'fixture.json');
      writeFileSync(fixturePath, JSON.stringify(fixture));
      const distinct = mintMany(rs, target, config.distinctTokens);
      const material: HttpMaterial = {
        repeatedToken: mintToken(rs, target),
        distinctTokens: distinct,
        forgedTokens: distinct.map(tamperSignature),
        memoryKeys,
        sqliteKeys: store('sqlite')?.keys ?? [],
        postgresKeys: store('postgres')?.keys ?? [],
      };
      const plan = planLoad(cpus().length, work, config.connections);
      loadGenerator = describePlan(plan);
      log(`HTTP rows (servers in child processes; ${loadGenerator})`);
      if (plan.generator !== 'wrk') notes.push('wrk is not installed: HTTP rows used autocannon.');
      rows.push(...(await runHttpSuite(config, plan, fixturePath, material, store('postgres')?.note)));
    }
  } finally {
    await restguard.close();
    for (const s of stores) await s.store?.close().catch(() => {});
    if (store('postgres')?.store) await dropPostgresSchema(config.databaseUrl!, schema).catch(() => {});
    await jwks.close();
    rmSync(work, { recursive: true, force: true });
  }

  computeRatios(rows);
  const report: BenchReport = {
    machine: {
      date: started.toISOString(),
      node: process.versions.node,
      platform: `${platform()} ${release()}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverage: loadavg(),
      totalMemoryMb: Math.round(totalmem() / 2 ** 20),
      smoke: config.smoke,
      ...(loadGenerator ? { loadGenerator } : {}),
      settings: {
        warmupMs: config.warmupMs,
        durationMs: config.durationMs,
        rounds: config.rounds,
        httpMs: config.httpMs,
        httpWarmupMs: config.httpWarmupMs,
        httpRounds: config.httpRounds,
        connections: config.connections,
        distinctTokens: config.distinctTokens,
        apiKeys: config.apiKeys,
        cacheSize: config.coldCacheSize,
        memoryTokens: config.memoryTokens,
        only: config.only,
      },
    },
    rows,
    targets: evaluateTargets(rows),
    notes,
  };
  const written = writeReport(report, config.outDir);
  process.stdout.write(`${targetsTable(report.targets).join('\n')}\n`);
  log(`wrote ${written.markdown}, ${written.json} and ${written.chart}`);
  log(
    `README section: node --import tsx src/readme.ts ${written.json} (from bench/, once the file is committed)`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
