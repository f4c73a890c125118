/**
 * Revocation reaching a SECOND RUNNING PROCESS: a child node process holds its own store and verifier
 * (with a warm cache), the parent revokes, and the child must refuse the key within the contract's
 * bound (SQLite 5 s, PostgreSQL 1 s). Only the push can do it: the child's cache TTL is 60 s.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createApiKey, revokeApiKey } from '@restguard/core';
import { afterEach, expect, it } from 'vitest';
import type { StoreConformanceOptions, StoreFactory, StoreFixture } from './fixture.js';

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));

/** Starts the child and resolves each stdout line in turn. */
function startChild(spec: unknown) {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  child.on('exit', () => {
    for (const waiter of waiters.splice(0)) waiter(`exited ${stderr.slice(0, 500)}`);
  });
  const next = () =>
    new Promise<string>((resolve) => {
      const line = lines.shift();
      if (line !== undefined) resolve(line);
      else if (child.exitCode !== null) resolve(`exited ${stderr.slice(0, 500)}`);
      else waiters.push(resolve);
    });
  return { child, next };
}

export function describeProcessConformance(factory: StoreFactory, options: StoreConformanceOptions): void {
  let fixture: StoreFixture | undefined;
  let running: ReturnType<typeof startChild> | undefined;
  afterEach(async () => {
    running?.child.kill();
    running = undefined;
    await fixture?.store.close();
    await fixture?.destroy?.();
    fixture = undefined;
  });

  it(`refuses a key revoked by another process within ${options.revocationBoundMs} ms`, async () => {
    fixture = await factory();
    const { store, child } = fixture;
    await store.migrate();
    const { record, key } = await createApiKey(store, { name: 'two processes', permissions: ['read'] });
    running = startChild({ ...child, key });
    expect(await running.next()).toBe('accepted');
    // Let the child's change feed settle (PostgreSQL LISTEN; SQLite poller), as a running app's would be.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const revokedAt = Date.now();
    await revokeApiKey(store, record.id);
    expect(await running.next()).toBe('refused');
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(options.revocationBoundMs);
  }, 90_000);
}
