/**
 * Shutdown: SIGTERM drains requests in flight (none is cut), flushes pending `lastUsedAt` writes,
 * closes the store's connections (pool, LISTEN clients) and exits 0 within a bound; a second SIGTERM
 * exits at once. demo-hono on its own PostgreSQL database with the embedded dev issuer.
 */
import { readFileSync } from 'node:fs';
import { connect, type TLSSocket } from 'node:tls';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, sql } from './database.js';
import { report, type Started, startApp, tempDir, timeUntil } from './processes.js';

/** The drain bound of the demo apps (SHUTDOWN_DRAIN_MS) plus start-up slack for closing the store. */
const EXIT_BOUND_MS = 15_000;

async function start(databaseUrl: string) {
  const app = await startApp(
    'demo-hono',
    { PORT: '0', DATABASE_URL: databaseUrl, RESTGUARD_DATA_DIR: tempDir('shutdown') },
    /browser: https:\/\/\S+\//,
  );
  const out = app.output();
  const url = new URL(/listening on (https:\/\/\S+)/.exec(out)![1]!);
  const ca = readFileSync(/development CA: (\S+)/.exec(out)![1]!, 'utf8');
  const writeKey = /read\+write: +(rg_test_\S+)/.exec(out)?.[1];
  return { app, url, ca, writeKey };
}

/** Sends a POST whose body is only half written; `finish()` writes the rest and reads the answer. */
function halfPost(target: { url: URL; ca: string }, key: string) {
  const body = JSON.stringify({ text: 'written while the server shuts down' });
  const socket: TLSSocket = connect({
    host: target.url.hostname,
    port: Number(target.url.port),
    ca: target.ca,
    servername: 'localhost',
  });
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  const ended = new Promise<void>((resolve) => {
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  const sent = new Promise<void>((resolve) => socket.once('secureConnect', () => resolve())).then(() => {
    socket.write(
      `POST /api/notes HTTP/1.1\r\nhost: ${target.url.host}\r\nx-api-key: ${key}\r\n` +
        `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
  });
  return {
    sent,
    async finish() {
      socket.end(body.slice(10));
      await ended;
      return answer;
    },
    destroy: () => socket.destroy(),
  };
}

describe('shutdown', () => {
  let db: { url: string; drop: () => Promise<void> };
  const started: Started[] = [];
  beforeAll(async () => {
    db = await freshDatabase('restguard_rel_shutdown');
  });
  afterAll(async () => {
    await Promise.all(started.map((app) => app.stop()));
    await db?.drop();
  });

  const connections = async () =>
    Number(
      (
        await sql<{ n: string }>(
          db.url,
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()
             AND pid <> pg_backend_pid() AND application_name LIKE 'restguard%'`,
        )
      )[0]!.n,
    );

  it('SIGTERM lets the request in flight finish, flushes lastUsedAt, closes the store and exits 0', async () => {
    const target = await start(db.url);
    started.push(target.app);
    expect(target.writeKey).toBeDefined();
    // A key used once so far: its lastUsedAt is written behind (every 30 s), so it is pending now.
    const dispatcher = new Agent({ connect: { ca: target.ca } });
    const read = await fetch(`${target.url.origin}/api/notes`, {
      headers: { 'x-api-key': target.writeKey! },
      dispatcher,
    });
    expect(read.status).toBe(200);
    await read.arrayBuffer();
    await dispatcher.close();
    const before = await connections();
    expect(before).toBeGreaterThan(0);
    const inFlight = halfPost(target, target.writeKey!);
    await inFlight.sent;
    const signalled = performance.now();
    target.app.child.kill('SIGTERM');
    await timeUntil(async () => target.app.output().includes('draining requests in flight'), 5000);
    const answer = await inFlight.finish();
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    const { code } = await target.app.exited;
    const exitMs = Math.round(performance.now() - signalled);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(EXIT_BOUND_MS);
    const [row] = await sql<{ last_used_at: Date | null }>(
      db.url,
      `SELECT last_used_at FROM restguard.api_keys WHERE name = 'demo read+write'`,
    );
    expect(row?.last_used_at).toBeInstanceOf(Date);
    const closedAfter = await timeUntil(async () => (await connections()) === 0, 5000);
    report('shutdown: SIGTERM', {
      inFlightAnswered: answer.slice(9, 12),
      exitCode: code ?? 'signal',
      exitMs,
      boundMs: EXIT_BOUND_MS,
      lastUsedAtFlushed: true,
      storeConnectionsBefore: before,
      storeConnectionsGoneAfterMs: closedAfter,
    });
  });

  it('a second SIGTERM exits at once, without waiting for the drain', async () => {
    // Second start on this database: the banner points at DATABASE_URL for more keys. The server
    // trusts local connections, so a password in the URL is accepted, and must never be printed.
    const withPassword = new URL(db.url);
    withPassword.password = 'not-for-the-log-3f9a';
    const target = await start(withPassword.href);
    started.push(target.app);
    expect(target.app.output()).toContain('Create more');
    expect(target.app.output()).not.toContain('not-for-the-log-3f9a');
    const inFlight = halfPost(target, 'rg_test_unused');
    await inFlight.sent;
    const signalled = performance.now();
    target.app.child.kill('SIGTERM');
    await timeUntil(async () => target.app.output().includes('draining requests in flight'), 5000);
    target.app.child.kill('SIGTERM');
    const { code } = await target.app.exited;
    const exitMs = Math.round(performance.now() - signalled);
    inFlight.destroy();
    expect(code).toBe(1);
    expect(target.app.output()).toContain('second signal, exiting now');
    report('shutdown: second SIGTERM', { exitCode: code ?? 'signal', exitMs });
  });
});
