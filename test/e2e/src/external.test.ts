/**
 * Issue 7: the same demo apps against an external issuer and PostgreSQL, given only the contract's
 * environment variables (AUTH_ISSUER, DATABASE_URL, NODE_EXTRA_CA_CERTS for the issuer's CA). The dev
 * issuer runs standalone in its own process; the three apps share one key database and one Redis (rate
 * limits, REDIS_URL), as instances would.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runShell, type Started, startApp, tempDir } from './processes.js';

const frameworks = ['express', 'fastify', 'hono'] as const;

describe('demo apps on an external issuer and PostgreSQL', () => {
  const baseUrl = process.env.TEST_DATABASE_URL;
  const database = `restguard_e2e_${process.pid}_${Date.now()}`;
  let databaseUrl: string;
  let issuerProcess: Started;
  let issuer: string;
  let issuerCa: string;
  const apps = new Map<string, { started: Started; url: string; caPem: string }>();
  let readKey: string;
  let writeKey: string;
  let limitedKey: string;
  const redisUrl = process.env.TEST_REDIS_URL;

  const call = async (
    url: string,
    ca: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ) => {
    const res = await fetch(url, { ...init, dispatcher: new Agent({ connect: { ca } }) });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    expect(baseUrl, 'TEST_DATABASE_URL is set by the test command (npm test)').toBeTruthy();
    expect(redisUrl, 'TEST_REDIS_URL is set by the test command (npm test)').toBeTruthy();
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const url = new URL(baseUrl!);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();

    issuerProcess = await startApp(
      'dev-issuer',
      { PORT: '0', DEV_ISSUER_DATA_DIR: tempDir('issuer') },
      /signed by a local CA: \S+\n/,
    );
    issuer = /issuer: (https:\/\/\S+)/.exec(issuerProcess.output())![1]!;
    const issuerCaFile = /signed by a local CA: (\S+)/.exec(issuerProcess.output())![1]!;
    issuerCa = readFileSync(issuerCaFile, 'utf8');

    for (const framework of frameworks) {
      const dataDir = tempDir(`ext-${framework}`);
      const started = await startApp(
        `demo-${framework}`,
        {
          PORT: '0',
          AUTH_ISSUER: issuer,
          DATABASE_URL: databaseUrl,
          NODE_EXTRA_CA_CERTS: issuerCaFile,
          RESTGUARD_DATA_DIR: dataDir,
          REDIS_URL: redisUrl!,
        },
        /browser: https:\/\/\S+\//,
      );
      const out = started.output();
      const caPem = readFileSync(/development CA: (\S+)/.exec(out)![1]!, 'utf8');
      apps.set(framework, { started, url: /listening on (https:\/\/\S+)/.exec(out)![1]!, caPem });
      const keys = /read: +(rg_test_\S+)[\s\S]*read\+write: +(rg_test_\S+)/.exec(out);
      if (keys) [readKey, writeKey] = [keys[1]!, keys[2]!];
      const limited = /limited: +(rg_test_\S+)/.exec(out);
      if (limited) limitedKey = limited[1]!;
    }
  });
  afterAll(async () => {
    await Promise.all([...apps.values()].map((app) => app.started.stop()));
    await issuerProcess?.stop();
    if (baseUrl) {
      const admin = new pg.Client({ connectionString: baseUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('prints the API keys once, from the first instance to find the database empty', () => {
    const printed = [...apps.values()].filter((app) => /rg_test_/.test(app.started.output()));
    expect(printed).toHaveLength(1);
    expect(readKey).toMatch(/^rg_test_/);
  });

  it('names the external issuer and trusts it through NODE_EXTRA_CA_CERTS', async () => {
    for (const app of apps.values()) {
      expect(app.started.output()).toContain(`issuer:    ${issuer}`);
      expect(app.started.output()).not.toContain('embedded dev issuer');
      const metadata = JSON.parse(
        (await call(`${app.url}/.well-known/oauth-protected-resource`, app.caPem)).body,
      );
      expect(metadata.authorization_servers).toEqual([issuer]);
    }
  });

  it('accepts client-credentials tokens from the external issuer in every app', async () => {
    const token = await call(`${issuer}/token`, issuerCa, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('demo-machine:demo-machine-secret').toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=read%20write&resource=https%3A%2F%2Fnotes.restguard.test',
    });
    const accessToken = JSON.parse(token.body).access_token as string;
    for (const app of apps.values()) {
      const me = await call(`${app.url}/api/me`, app.caPem, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(me.status).toBe(200);
      expect(JSON.parse(me.body)).toMatchObject({ kind: 'token', issuer, scopes: ['read', 'write'] });
    }
  });

  it('shares keys through PostgreSQL, and a revocation by the CLI reaches every running instance', async () => {
    for (const app of apps.values()) {
      expect(
        (await call(`${app.url}/api/notes`, app.caPem, { headers: { 'x-api-key': readKey } })).status,
      ).toBe(200);
      const write = await call(`${app.url}/api/notes`, app.caPem, {
        method: 'POST',
        headers: { 'x-api-key': writeKey, 'content-type': 'application/json' },
        body: '{"text":"shared"}',
      });
      expect(write.status).toBe(201);
    }
    const cli = `node ${path.join(repoRoot, 'packages/cli/dist/bin.js')}`;
    const listed = await runShell(`${cli} keys list --json`, { DATABASE_URL: databaseUrl });
    expect(listed.code).toBe(0);
    const readRecord = (JSON.parse(listed.stdout) as { id: string; name: string }[]).find(
      (k) => k.name === 'demo read',
    );
    expect(readRecord).toBeDefined();
    const revoked = await runShell(`${cli} keys revoke ${readRecord!.id}`, { DATABASE_URL: databaseUrl });
    expect(revoked.code).toBe(0);
    // Pushed with LISTEN/NOTIFY: every instance refuses the key shortly after (bound: 1 s per the issue).
    await expect
      .poll(
        async () =>
          Promise.all(
            [...apps.values()].map(
              async (app) =>
                (await call(`${app.url}/api/notes`, app.caPem, { headers: { 'x-api-key': readKey } })).status,
            ),
          ),
        { timeout: 5_000, interval: 100 },
      )
      .toEqual([401, 401, 401]);
  });

  it('spends one rate-limit budget across the three instances (Redis), and a rate set by the CLI reaches them all', async () => {
    const list = [...apps.values()];
    for (const app of list) expect(app.started.output()).toContain('rate limits: redis (REDIS_URL)');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const app = list[i % list.length]!;
      statuses.push(
        (await call(`${app.url}/api/notes`, app.caPem, { headers: { 'x-api-key': limitedKey } })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);

    const cli = `node ${path.join(repoRoot, 'packages/cli/dist/bin.js')}`;
    const listed = await runShell(`${cli} keys list --json`, { DATABASE_URL: databaseUrl });
    const record = (
      JSON.parse(listed.stdout) as { id: string; name: string; rateLimit: string | null }[]
    ).find((k) => k.name === 'demo limited');
    expect(record?.rateLimit).toBe('5/min');
    const updated = await runShell(`${cli} keys update ${record!.id} --rate 100/min`, {
      DATABASE_URL: databaseUrl,
    });
    expect(updated.code, updated.stderr).toBe(0);
    // Pushed with LISTEN/NOTIFY like a revocation: every instance applies the new (unspent) budget.
    await expect
      .poll(
        async () =>
          Promise.all(
            list.map(async (app) => {
              const res = await fetch(`${app.url}/api/notes`, {
                headers: { 'x-api-key': limitedKey },
                dispatcher: new Agent({ connect: { ca: app.caPem } }),
              });
              await res.text();
              return `${res.status} ${res.headers.get('ratelimit-policy')}`;
            }),
          ),
        { timeout: 5_000, interval: 100 },
      )
      .toEqual(list.map(() => '200 "api-key";q=100;w=60'));
  });
});
