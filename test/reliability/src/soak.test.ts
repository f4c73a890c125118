/**
 * Soak: each demo app for RESTGUARD_SOAK_SECONDS (20 s by default) under mixed traffic from a separate
 * load process — valid, expired, unknown-kid and garbage tokens; read, write, revoked and unknown API
 * keys; missing and doubled credentials; a key revoked by the CLI half-way through. Every answer is
 * checked against the status its request must get (the demo's default per-credential rate is raised with
 * RATE_LIMIT_DEFAULT so that no answer is a 429). Bounds: zero unexpected answers (so zero 5xx and
 * zero wrongly accepted requests), and RSS after the warm-up (the first half) flat within 96 MiB (Express settles near 200 MiB).
 * A fourth run drives demo-express with its embedded dev issuer: a browser session (signed in once with
 * Chromium) reading, writing same-origin and cross-site (403, CSRF), logged out half-way (401 from then
 * on), mixed with API-key and anonymous traffic.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { type LoadKind, report, rssMiB, runCli, runLoad, startApp, tempDir } from './processes.js';

const SECONDS = Number(process.env.RESTGUARD_SOAK_SECONDS ?? 20);
const RSS_FLAT_BOUND_MIB = 96;
const WARM_UP = 0.5;

let issuer: TestIssuer;
let issuerCa: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ https: true, audience: 'https://notes.restguard.test' });
  issuerCa = path.join(tempDir('soak-ca'), 'issuer-ca.pem');
  writeFileSync(issuerCa, issuer.caPem!);
});
afterAll(() => issuer?.close());

const cliKey = async (db: string, name: string, permissions: string) => {
  const created = await runCli([
    'keys',
    'create',
    '--db',
    db,
    '--name',
    name,
    '--permissions',
    permissions,
    '--json',
  ]);
  expect(created.code, created.stderr).toBe(0);
  return JSON.parse(created.stdout) as { id: string; key: string };
};

for (const framework of ['express', 'fastify', 'hono'] as const) {
  describe(`soak: demo-${framework}`, () => {
    it(`answers ${SECONDS} s of mixed traffic exactly as expected, with flat memory`, async () => {
      const dir = tempDir(`soak-${framework}`);
      const app = await startApp(
        `demo-${framework}`,
        {
          PORT: '0',
          AUTH_ISSUER: issuer.url,
          NODE_EXTRA_CA_CERTS: issuerCa,
          RESTGUARD_DATA_DIR: dir,
          // Far above what the load process reaches: every answer is the credential's own, never a 429.
          RATE_LIMIT_DEFAULT: '1000000/min',
        },
        /development CA: \S+\n/,
      );
      try {
        const out = app.output();
        const base = /listening on (https:\/\/\S+)/.exec(out)![1]!;
        const caFile = /development CA: (\S+)/.exec(out)![1]!;
        const db = `sqlite:${path.join(dir, 'keys.sqlite')}`;
        const readKey = /read: +(rg_test_\S+)/.exec(out)![1]!;
        const writeKey = /read\+write: +(rg_test_\S+)/.exec(out)![1]!;
        const revoked = await cliKey(db, 'revoked before', 'read');
        expect((await runCli(['keys', 'revoke', '--db', db, revoked.id])).code).toBe(0);
        const revokedLater = await cliKey(db, 'revoked half-way', 'read');
        const readToken = await issuer.mint({ scope: 'read' }, { expiresIn: SECONDS + 300 });
        const writeToken = await issuer.mint({ scope: 'read write' }, { expiresIn: SECONDS + 300 });
        const expired = await issuer.mint({ scope: 'read', exp: Math.floor(Date.now() / 1000) - 120 });
        const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
        const note = JSON.stringify({ text: 'soak' });
        const kinds: LoadKind[] = [
          { name: 'healthz', path: '/healthz', expect: [200] },
          { name: 'token read', path: '/api/me', headers: bearer(readToken), expect: [200] },
          {
            name: 'token write',
            method: 'POST',
            path: '/api/notes',
            headers: bearer(writeToken),
            body: note,
            expect: [201],
          },
          {
            name: 'token lacks write',
            method: 'POST',
            path: '/api/notes',
            headers: bearer(readToken),
            body: note,
            expect: [403],
          },
          { name: 'expired token', path: '/api/me', headers: bearer(expired), expect: [401] },
          { name: 'unknown kid', path: '/api/me', generate: 'unknownKid', expect: [401] },
          { name: 'garbage', path: '/api/me', generate: 'garbage', expect: [401] },
          { name: 'key read', path: '/api/notes', headers: { 'x-api-key': readKey }, expect: [200] },
          {
            name: 'key write',
            method: 'POST',
            path: '/api/notes',
            headers: { 'x-api-key': writeKey },
            body: note,
            expect: [201],
          },
          {
            name: 'key lacks write',
            method: 'POST',
            path: '/api/notes',
            headers: { 'x-api-key': readKey },
            body: note,
            expect: [403],
          },
          { name: 'revoked key', path: '/api/me', headers: { 'x-api-key': revoked.key }, expect: [401] },
          { name: 'unknown key', path: '/api/me', generate: 'unknownKey', pool: 50, expect: [401] },
          {
            name: 'revoked half-way',
            path: '/api/me',
            headers: { 'x-api-key': revokedLater.key },
            expect: [200, 401],
            revocable: true,
          },
          { name: 'no credential', path: '/api/me', expect: [401] },
          {
            name: 'two credentials',
            path: '/api/me',
            headers: { ...bearer(readToken), 'x-api-key': readKey },
            expect: [400],
          },
        ];
        const rss: { at: number; mib: number }[] = [];
        const started = performance.now();
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            rss.push({ at: (performance.now() - started) / 1000, mib: rssMiB(app.child.pid!) });
            await sleep(500);
          }
        })();
        const revoker = (async () => {
          await sleep((SECONDS * 1000) / 2);
          return runCli(['keys', 'revoke', '--db', db, revokedLater.id]);
        })();
        const result = await runLoad({
          base,
          caFile,
          seconds: SECONDS,
          connections: 4,
          issuer: issuer.url,
          audience: issuer.audience,
          kinds,
        });
        sampling = false;
        await sampler;
        expect((await revoker).code).toBe(0);
        const afterWarmUp = rss.filter((sample) => sample.at >= SECONDS * WARM_UP);
        const warm = afterWarmUp[0]!.mib;
        const peak = Math.max(...afterWarmUp.map((sample) => sample.mib));
        const last = afterWarmUp[afterWarmUp.length - 1]!.mib;
        const revokedStatuses = result.stats['revoked half-way']!.statuses;
        report(`soak: demo-${framework}`, {
          seconds: result.seconds,
          requests: result.total,
          perSecond: result.rate,
          unexpected: result.unexpectedCount,
          wronglyAccepted: result.wronglyAccepted,
          worstLatencyMs: result.worstMs,
          revokedHalfWay: Object.entries(revokedStatuses)
            .map(([status, count]) => `${status}x${count}`)
            .join('+'),
          rssStartMiB: rss[0]!.mib,
          rssAfterWarmUpMiB: warm,
          rssPeakMiB: peak,
          rssEndMiB: last,
          rssFlatBoundMiB: RSS_FLAT_BOUND_MIB,
        });
        expect(result.errors).toBe(0);
        expect(result.unexpected).toEqual([]);
        expect(result.wronglyAccepted).toBe(0);
        // The half-way revocation took effect: the key was refused before the end.
        expect(revokedStatuses['401'] ?? 0).toBeGreaterThan(0);
        // Every accepted kind was accepted (not only rate-limited) at least once.
        for (const name of [
          'token read',
          'token write',
          'token lacks write',
          'key read',
          'key write',
          'key lacks write',
        ]) {
          const statuses = result.stats[name]!.statuses;
          expect(
            Object.keys(statuses).some((status) => status !== '429'),
            name,
          ).toBe(true);
        }
        expect(peak - warm).toBeLessThan(RSS_FLAT_BOUND_MIB);
        expect(app.child.exitCode).toBeNull();
      } finally {
        await app.stop();
      }
    });
  });
}

describe('soak: demo-express with browser sessions', () => {
  it(`answers ${SECONDS} s of session, key and anonymous traffic as expected, with a logout half-way`, async () => {
    const dir = tempDir('soak-sessions');
    // The embedded dev issuer: browser sign-in works out of the box.
    const app = await startApp(
      'demo-express',
      { PORT: '0', RESTGUARD_DATA_DIR: dir, RATE_LIMIT_DEFAULT: '1000000/min' },
      /development CA: \S+\n/,
    );
    const context = await launchChromium();
    try {
      const out = app.output();
      const base = /listening on (https:\/\/\S+)/.exec(out)![1]!;
      const caFile = /development CA: (\S+)/.exec(out)![1]!;
      const readKey = /read: +(rg_test_\S+)/.exec(out)![1]!;
      const page = await context.newPage();
      await page.goto(`${base}/auth/login?returnTo=/api/me`);
      await page.fill('input[name="username"]', 'alice');
      await page.fill('input[name="password"]', 'alice');
      await Promise.all([page.waitForURL(`${base}/api/me`), page.click('button[type="submit"]')]);
      const cookie = (await context.cookies(base))
        .filter((c) => c.name.startsWith('__Host-restguard-session') && !c.name.endsWith('-tx'))
        .map((c) => `${c.name}=${c.value}`)
        .join('; ');
      expect(cookie).toContain('__Host-restguard-session');
      const note = JSON.stringify({ text: 'soak' });
      const kinds: LoadKind[] = [
        { name: 'healthz', path: '/healthz', expect: [200] },
        // Signed in until the logout half-way, refused from then on.
        { name: 'session read', path: '/api/me', headers: { cookie }, expect: [200, 401], revocable: true },
        {
          name: 'session write, same origin',
          method: 'POST',
          path: '/api/notes',
          headers: { cookie, origin: new URL(base).origin },
          body: note,
          expect: [201, 401],
          revocable: true,
        },
        {
          name: 'session write, cross-site',
          method: 'POST',
          path: '/api/notes',
          headers: { cookie, origin: 'https://evil.example' },
          body: note,
          expect: [403, 401],
          revocable: true,
        },
        { name: 'key read', path: '/api/notes', headers: { 'x-api-key': readKey }, expect: [200] },
        { name: 'unknown key', path: '/api/me', generate: 'unknownKey', pool: 50, expect: [401] },
        { name: 'garbage', path: '/api/me', generate: 'garbage', expect: [401] },
        { name: 'no credential', path: '/api/me', expect: [401] },
      ];
      const dispatcher = new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } });
      const logout = (async () => {
        await sleep((SECONDS * 1000) / 2);
        const res = await fetch(`${base}/auth/logout`, {
          method: 'POST',
          headers: { cookie, origin: new URL(base).origin },
          redirect: 'manual',
          dispatcher,
        });
        await res.arrayBuffer();
        return res.status;
      })();
      const result = await runLoad({ base, caFile, seconds: SECONDS, connections: 4, kinds });
      const logoutStatus = await logout;
      const statusesOf = (name: string) =>
        Object.entries(result.stats[name]!.statuses)
          .map(([status, count]) => `${status}x${count}`)
          .join('+');
      report('soak: demo-express with browser sessions', {
        seconds: result.seconds,
        requests: result.total,
        perSecond: result.rate,
        unexpected: result.unexpectedCount,
        wronglyAccepted: result.wronglyAccepted,
        worstLatencyMs: result.worstMs,
        logoutStatus,
        sessionRead: statusesOf('session read'),
        sessionWrite: statusesOf('session write, same origin'),
        sessionCrossSite: statusesOf('session write, cross-site'),
      });
      expect(logoutStatus).toBe(303);
      expect(result.errors).toBe(0);
      expect(result.unexpected).toEqual([]);
      expect(result.wronglyAccepted).toBe(0);
      // Accepted before the logout, refused after it.
      for (const [name, accepted] of [
        ['session read', '200'],
        ['session write, same origin', '201'],
        ['session write, cross-site', '403'],
      ] as const) {
        const statuses = result.stats[name]!.statuses;
        expect(statuses[accepted] ?? 0, name).toBeGreaterThan(0);
        expect(statuses['401'] ?? 0, name).toBeGreaterThan(0);
      }
      expect(app.child.exitCode).toBeNull();
    } finally {
      await context.close();
      await app.stop();
    }
  });
});
