/**
 * Store faults on SQLite: demo-express on its default SQLite file, under load from client loops, while
 * another process holds `BEGIN EXCLUSIVE` on that file for longer than one `lastUsedAt` flush period
 * (30 s). WAL lets readers go on, so keys are still verified against the file (200; an unknown key
 * stays 401); the write that meets the lock (the `lastUsedAt` flush) gives up after the store's
 * request-path busy timeout instead of blocking the event loop, and is written once the lock is gone.
 * Bounds: never a 500, never a 401 for a valid key, no crash, worst latency under 2.5 s (the old 5 s
 * busy timeout blocked every request in flight for 5 s), `lastUsedAt` written after the lock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, report, runCli, type Started, startApp, tempDir, timeUntil } from './processes.js';

type Phase = 'before' | 'locked' | 'after';
interface Sample {
  phase: Phase;
  key: 'verified' | 'fresh' | 'unknown';
  status: number;
  ms: number;
}

/** Holds `BEGIN EXCLUSIVE` on `file` from another process until it is killed or sent a line. */
async function holdExclusiveLock(
  file: string,
): Promise<{ child: ChildProcess; release: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import Database from 'better-sqlite3';
       const db = new Database(process.env.DB_PATH);
       db.exec('BEGIN EXCLUSIVE');
       console.log('locked');
       process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });`,
    ],
    {
      // better-sqlite3 resolves from the SQLite store's package.
      cwd: path.join(repoRoot, 'packages/store-sqlite'),
      env: { ...process.env, DB_PATH: file },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the lock was not taken in time')), 10_000);
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    child,
    release: async () => {
      child.stdin!.write('release\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

describe('store faults: SQLite file locked by another writer', () => {
  let app: Started;
  let base: string;
  let dispatcher: Agent;
  let dataDir: string;
  let databaseUrl: string;

  beforeAll(async () => {
    dataDir = tempDir('sqlite-faults');
    databaseUrl = `sqlite:${path.join(dataDir, 'keys.sqlite')}`;
    app = await startApp(
      'demo-express',
      { PORT: '0', RESTGUARD_DATA_DIR: dataDir },
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
  });

  const status = async (key: string) => {
    const res = await fetch(`${base}/api/notes`, { headers: { 'x-api-key': key }, dispatcher });
    await res.arrayBuffer();
    return res.status;
  };

  it('keeps answering without blocking while the file is locked, and writes lastUsedAt afterwards', async () => {
    const verifiedKey = /read: +(rg_test_\S+)/.exec(app.output())![1]!;
    const created = await runCli(['keys', 'create', '--name', 'fresh', '--permissions', 'read', '--json'], {
      DATABASE_URL: databaseUrl,
    });
    expect(created.code, created.stderr).toBe(0);
    const fresh = JSON.parse(created.stdout) as { id: string; key: string };
    const unknownKey = `${fresh.key.slice(0, -4)}${fresh.key.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect(await status(verifiedKey)).toBe(200);

    let phase: Phase = 'before';
    let running = true;
    const samples: Sample[] = [];
    const keys = { verified: verifiedKey, fresh: fresh.key, unknown: unknownKey };
    const worker = async (which: Sample['key']) => {
      // The fresh key is first presented while the file is locked: never verified before.
      while (which === 'fresh' && phase === 'before') await sleep(5);
      while (running) {
        const at = phase;
        const started = performance.now();
        const code = await status(keys[which]).catch(() => 0);
        samples.push({ phase: at, key: which, status: code, ms: performance.now() - started });
        // Under the demo's default rate (600/min per credential): two loops share the verified key.
        await sleep(250);
      }
    };
    const workers = [worker('verified'), worker('verified'), worker('fresh'), worker('unknown')];
    const countIn = (p: Phase) => samples.filter((s) => s.phase === p).length;
    await timeUntil(async () => countIn('before') >= 20, 10_000);

    const lock = await holdExclusiveLock(databaseUrl.slice('sqlite:'.length));
    phase = 'locked';
    const lockedAt = performance.now();
    // Longer than the demo's 30 s lastUsedAt flush period: one flush meets the lock.
    await sleep(32_000);
    await lock.release();
    const lockedForMs = Math.round(performance.now() - lockedAt);
    phase = 'after';
    await timeUntil(async () => countIn('after') >= 20, 10_000);
    running = false;
    await Promise.all(workers);
    expect(app.child.exitCode).toBeNull();

    // SIGTERM flushes the pending lastUsedAt the flush during the lock could not write.
    await app.stop();
    expect((await app.exited).code).toBe(0);
    const listed = await runCli(['keys', 'list', '--json'], { DATABASE_URL: databaseUrl });
    expect(listed.code, listed.stderr).toBe(0);
    const views = JSON.parse(listed.stdout) as { id: string; lastUsedAt: string | null }[];
    expect(views.find((v) => v.id === fresh.id)?.lastUsedAt).not.toBeNull();

    const locked = samples.filter((s) => s.phase === 'locked');
    const statuses = (list: Sample[]) => [...new Set(list.map((s) => s.status))].sort().join('/');
    const worstLockedMs = Math.round(Math.max(...locked.map((s) => s.ms)));
    expect(samples.filter((s) => s.status === 0 || s.status >= 500)).toEqual([]);
    expect(samples.filter((s) => s.key !== 'unknown' && s.status !== 200)).toEqual([]);
    expect(samples.filter((s) => s.key === 'unknown' && s.status !== 401)).toEqual([]);
    expect(locked.filter((s) => s.key === 'fresh').length).toBeGreaterThan(0);
    expect(worstLockedMs).toBeLessThan(2500);
    report('store faults: SQLite locked by another writer', {
      requests: samples.length,
      faultsInjected: 1,
      lockedForMs,
      lockedStatusesValidKeys: statuses(locked.filter((s) => s.key !== 'unknown')),
      lockedStatusesUnknownKey: statuses(locked.filter((s) => s.key === 'unknown')),
      worstLatencyMs: worstLockedMs,
      boundMs: 2500,
      lastUsedAtWrittenAfterLock: true,
    });
  });
});
