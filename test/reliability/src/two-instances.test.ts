/**
 * Two instances on one PostgreSQL, as the demo README starts them: the standalone dev issuer, then
 * demo-express and demo-fastify sharing DATABASE_URL, AUTH_ISSUER and SESSION_SECRETS on two ports.
 * A key created by the CLI works on both; revoked by the CLI it is refused by both within 1 s; a browser
 * session (signed in at the dev issuer in Chromium) logged out on one is refused by the other within
 * 1 s; a back-channel logout delivered to one ends the session on both; `restguard sessions end --sub`
 * ends a user's sessions on both within 1 s; `lastUsedAt` converges.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { freshDatabase, sql } from './database.js';
import { freePort, report, runCli, type Started, startApp, tempDir, timeUntil } from './processes.js';

const SECRETS = `${'k'.repeat(40)},${'o'.repeat(40)}`;

describe('two instances on one PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  let issuerProcess: Started;
  let issuer: string;
  let dispatcher: Agent;
  const instances: { name: string; url: string; started: Started }[] = [];
  let context: BrowserContext;
  let page: Page;

  const call = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers, dispatcher });
    await res.arrayBuffer();
    return res.status;
  };
  const sessionCookie = async (origin: string) =>
    (await context.cookies(origin))
      .filter((c) => c.name.startsWith('__Host-restguard-session') && !c.name.endsWith('-tx'))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  const signIn = async (base: string, user: string) => {
    await page.goto(`${base}/auth/login?returnTo=/api/me`);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', user);
    await Promise.all([page.waitForURL(`${base}/api/me`), page.click('button[type="submit"]')]);
  };

  beforeAll(async () => {
    db = await freshDatabase('restguard_rel_two');
    const ports = [await freePort(), await freePort()];
    const issuerDir = tempDir('issuer');
    issuerProcess = await startApp(
      'dev-issuer',
      {
        PORT: '0',
        DEV_ISSUER_DATA_DIR: issuerDir,
        DEV_ISSUER_REDIRECT_URIS: ports.map((p) => `https://127.0.0.1:${p}/auth/callback`).join(','),
        DEV_ISSUER_BACKCHANNEL_LOGOUT_URI: `https://127.0.0.1:${ports[0]}/auth/backchannel-logout`,
      },
      /client credentials: /,
    );
    issuer = /issuer: (https:\/\/\S+)/.exec(issuerProcess.output())![1]!;
    const caFile = /signed by a local CA: (\S+)/.exec(issuerProcess.output())![1]!;
    dispatcher = new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } });
    // The apps serve the issuer's development certificate, so the issuer trusts them for back-channel logout.
    const tls = path.join(issuerDir, 'tls');
    for (const [index, name] of ['express', 'fastify'].entries()) {
      const started = await startApp(
        `demo-${name}`,
        {
          PORT: String(ports[index]),
          AUTH_ISSUER: issuer,
          AUTH_CLIENT_ID: 'demo-web',
          AUTH_CLIENT_SECRET: 'demo-web-secret',
          DATABASE_URL: db.url,
          SESSION_SECRETS: SECRETS,
          NODE_EXTRA_CA_CERTS: caFile,
          TLS_CERT_FILE: path.join(tls, 'dev-server.crt'),
          TLS_KEY_FILE: path.join(tls, 'dev-server.key'),
          RESTGUARD_DATA_DIR: tempDir(`two-${name}`),
        },
        /browser: https:\/\/\S+\//,
      );
      instances.push({ name, url: `https://127.0.0.1:${ports[index]}`, started });
    }
    context = await launchChromium();
    page = context.pages()[0] ?? (await context.newPage());
  });
  afterAll(async () => {
    await context?.close();
    await Promise.all(instances.map((instance) => instance.started.stop()));
    await issuerProcess?.stop();
    await db?.drop();
  });

  it('a key created by the CLI works on both; revoked by the CLI, both refuse it within 1 s', async () => {
    const created = await runCli(['keys', 'create', '--name', 'two', '--permissions', 'read', '--json'], {
      DATABASE_URL: db.url,
    });
    expect(created.code, created.stderr).toBe(0);
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    for (const instance of instances) {
      expect(await call(`${instance.url}/api/notes`, { 'x-api-key': key })).toBe(200);
    }
    expect((await runCli(['keys', 'revoke', id], { DATABASE_URL: db.url })).code).toBe(0);
    const refusedAfter = await timeUntil(async () => {
      const statuses = await Promise.all(
        instances.map((instance) => call(`${instance.url}/api/notes`, { 'x-api-key': key })),
      );
      return statuses.every((status) => status === 401);
    }, 1000);
    report('two instances: key revoked by the CLI', {
      instances: 2,
      refusedByBothAfterMs: refusedAfter,
      boundMs: 1000,
    });
  });

  it('a browser session logged out on one instance is refused by the other within 1 s', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    await signIn(a.url, 'alice');
    const cookie = await sessionCookie(a.url);
    expect(cookie).toContain('__Host-restguard-session');
    // One SESSION_SECRETS: the session started on one instance works on the other.
    expect(await call(`${b.url}/api/me`, { cookie })).toBe(200);
    await page.goto(`${a.url}/api/me`);
    await Promise.all([
      page.waitForURL(`${issuer}/session/end**`),
      page.evaluate(() => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = '/auth/logout';
        document.body.appendChild(form);
        form.submit();
      }),
    ]);
    // Logged out on a (the browser is now at the provider's confirmation): b refuses the same cookie.
    const refusedAfter = await timeUntil(
      async () => (await call(`${b.url}/api/me`, { cookie })) === 401,
      1000,
    );
    expect(await call(`${a.url}/api/me`, { cookie })).toBe(401);
    await Promise.all([page.waitForURL(`${a.url}/`), page.click('button[name="logout"]')]);
    report('two instances: browser logout', { refusedByOtherAfterMs: refusedAfter, boundMs: 1000 });
  });

  it('a back-channel logout delivered to one instance ends the session on both', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    // Signed in through b; the provider delivers its back-channel logout to a only.
    await signIn(b.url, 'alice');
    const cookie = await sessionCookie(b.url);
    expect(await call(`${a.url}/api/me`, { cookie })).toBe(200);
    expect(await call(`${b.url}/api/me`, { cookie })).toBe(200);
    await page.goto(`${issuer}/session/end`);
    await page.click('button[name="logout"]');
    await page.waitForLoadState();
    const refusedAfter = await timeUntil(async () => {
      const statuses = [await call(`${a.url}/api/me`, { cookie }), await call(`${b.url}/api/me`, { cookie })];
      return statuses.every((status) => status === 401);
    }, 5000);
    report('two instances: back-channel logout', { deliveredTo: a.name, refusedByBothAfterMs: refusedAfter });
  });

  it("restguard sessions end --sub ends the user's sessions on both instances within 1 s", async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    await signIn(a.url, 'alice');
    const cookie = await sessionCookie(a.url);
    expect(await call(`${b.url}/api/me`, { cookie })).toBe(200);
    const ended = await runCli(['sessions', 'end', '--sub', 'alice'], { DATABASE_URL: db.url });
    expect(ended.code, ended.stderr).toBe(0);
    const refusedAfter = await timeUntil(async () => {
      const statuses = [await call(`${a.url}/api/me`, { cookie }), await call(`${b.url}/api/me`, { cookie })];
      return statuses.every((status) => status === 401);
    }, 1000);
    report('two instances: sessions end --sub (CLI)', { refusedByBothAfterMs: refusedAfter, boundMs: 1000 });
  });

  it('lastUsedAt converges: both instances write it, the later use wins, flushed at shutdown', async () => {
    const created = await runCli(['keys', 'create', '--name', 'used', '--permissions', 'read', '--json'], {
      DATABASE_URL: db.url,
    });
    const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
    const before = Date.now();
    for (const instance of instances)
      expect(await call(`${instance.url}/api/notes`, { 'x-api-key': key })).toBe(200);
    const lastUse = Date.now();
    const results = await Promise.all(
      instances.map(async (instance) => {
        await instance.started.stop();
        return instance.started.exited;
      }),
    );
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    const [row] = await sql<{ last_used_at: Date | null }>(
      db.url,
      'SELECT last_used_at FROM restguard.api_keys WHERE id = $1',
      [id],
    );
    const lastUsedAt = row!.last_used_at!.getTime();
    expect(lastUsedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(lastUsedAt).toBeLessThanOrEqual(lastUse + 1000);
    report('two instances: lastUsedAt', {
      exitCodes: results.map((r) => r.code).join('/'),
      lastUsedAtSet: true,
    });
  });
});
