/**
 * Store faults: demo-express on a private PostgreSQL cluster, under load from four client loops,
 * while the cluster is stopped with `pg_ctl stop -m immediate` and started again. Bounds: 503 while it
 * is down (never 401, never 200 for a key not verified before), never a 500, no crash; the pool and the
 * LISTEN connection recover by themselves within 5 s; a revocation made as soon as the database is back
 * (possibly before the instance's LISTEN connection is) is applied.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './cluster.js';
import { report, runCli, type Started, startApp, tempDir, timeUntil } from './processes.js';

type Phase = 'before' | 'stopping' | 'down' | 'restarting' | 'after';
interface Sample {
  phase: Phase;
  key: 'verified' | 'fresh';
  status: number;
  ms: number;
}

describe('store faults: PostgreSQL stopped and started under load', () => {
  let cluster: Cluster;
  let app: Started;
  let base: string;
  let dispatcher: Agent;

  beforeAll(async () => {
    cluster = await startCluster();
    app = await startApp(
      'demo-express',
      { PORT: '0', DATABASE_URL: cluster.url, RESTGUARD_DATA_DIR: tempDir('store-faults') },
      /browser: https:\/\/\S+\//,
    );
    const out = app.output();
    base = /listening on (https:\/\/\S+)/.exec(out)![1]!;
    dispatcher = new Agent({
      connect: { ca: readFileSync(/development CA: (\S+)/.exec(out)![1]!, 'utf8') },
      headersTimeout: 30_000,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await cluster?.destroy();
  });

  const status = async (key: string) => {
    const res = await fetch(`${base}/api/notes`, { headers: { 'x-api-key': key }, dispatcher });
    await res.arrayBuffer();
    return res.status;
  };

  it('answers 503 while it is down, recovers by itself, and applies revocations made on its return', async () => {
    const verifiedKey = /read: +(rg_test_\S+)/.exec(app.output())![1]!;
    const created = await runCli(['keys', 'create', '--name', 'fresh', '--permissions', 'read', '--json'], {
      DATABASE_URL: cluster.url,
    });
    expect(created.code, created.stderr).toBe(0);
    const fresh = JSON.parse(created.stdout) as { id: string; key: string };
    expect(await status(verifiedKey)).toBe(200);

    let phase: Phase = 'before';
    let running = true;
    const samples: Sample[] = [];
    const worker = async (which: Sample['key']) => {
      const key = which === 'verified' ? verifiedKey : fresh.key;
      // The fresh key is first presented while the database is down: never verified before.
      while (which === 'fresh' && (phase === 'before' || phase === 'stopping')) await sleep(5);
      while (running) {
        const at = phase;
        const started = performance.now();
        const code = await status(key).catch(() => 0);
        samples.push({
          phase: at === phase ? at : 'restarting',
          key: which,
          status: code,
          ms: performance.now() - started,
        });
        await sleep(5);
      }
    };
    const workers = [worker('verified'), worker('verified'), worker('fresh'), worker('fresh')];
    const countIn = (p: Phase) => samples.filter((s) => s.phase === p).length;
    await timeUntil(async () => countIn('before') >= 20, 10_000);
    expect(samples.some((s) => s.key === 'fresh')).toBe(false);
    phase = 'stopping';
    await cluster.crash();
    phase = 'down';
    const downAt = performance.now();
    await timeUntil(async () => countIn('down') >= 150, 30_000);
    phase = 'restarting';
    await cluster.start();
    const upAt = performance.now();
    // Revoked at once: this instance's LISTEN connection may still be reconnecting.
    const revoked = await runCli(['keys', 'revoke', fresh.id], { DATABASE_URL: cluster.url });
    expect(revoked.code, revoked.stderr).toBe(0);
    const recoveredMs = await timeUntil(async () => (await status(verifiedKey)) === 200, 5000);
    const revocationAppliedMs = await timeUntil(async () => (await status(fresh.key)) === 401, 5000);
    phase = 'after';
    await timeUntil(async () => countIn('after') >= 20, 10_000);
    running = false;
    await Promise.all(workers);

    const down = samples.filter((s) => s.phase === 'down');
    const statuses = (list: Sample[]) => [...new Set(list.map((s) => s.status))].sort().join('/');
    expect(samples.filter((s) => s.status >= 500 && s.status !== 503)).toEqual([]);
    expect(samples.filter((s) => s.status === 0)).toEqual([]);
    expect(down.filter((s) => s.status === 401)).toEqual([]);
    expect(down.filter((s) => s.key === 'fresh' && s.status !== 503)).toEqual([]);
    expect(down.filter((s) => s.key === 'verified' && s.status !== 200 && s.status !== 503)).toEqual([]);
    expect(
      samples.filter((s) => s.phase === 'after' && s.key === 'verified').every((s) => s.status === 200),
    ).toBe(true);
    expect(
      samples.filter((s) => s.phase === 'after' && s.key === 'fresh').every((s) => s.status === 401),
    ).toBe(true);
    expect(app.child.exitCode).toBeNull();
    report('store faults: PostgreSQL stop -m immediate / start', {
      requests: samples.length,
      faultsInjected: 1,
      downForMs: Math.round(upAt - downAt),
      downStatusesVerifiedKey: statuses(down.filter((s) => s.key === 'verified')),
      downStatusesFreshKey: statuses(down.filter((s) => s.key === 'fresh')),
      worstLatencyMs: Math.round(Math.max(...samples.map((s) => s.ms))),
      recoveredAfterRestartMs: recoveredMs,
      revocationAppliedMs,
      boundMs: 5000,
    });
  });
});
