/**
 * Issue 7's smoke test: each demo app started as a separate process exactly as its README does, with
 * its embedded defaults (dev issuer in-process, SQLite, generated certificate), then driven through the
 * curl commands it printed — run as printed — and a client that trusts only the generated CA.
 */
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runShell, type Started, startApp, tempDir } from './processes.js';

const frameworks = ['express', 'fastify', 'hono'] as const;

describe.each(frameworks)('demo-%s on its embedded defaults', (framework) => {
  const dataDir = tempDir(`demo-${framework}`);
  let app: Started;
  let banner: string;
  let baseUrl: string;
  let caPem: string;
  let get: (
    url: string,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; headers: Headers; body: string }>;

  beforeAll(async () => {
    app = await startApp(
      `demo-${framework}`,
      { PORT: '0', RESTGUARD_DATA_DIR: dataDir },
      /browser: https:\/\/\S+\//,
    );
    banner = app.output();
    baseUrl = /listening on (https:\/\/\S+)/.exec(banner)![1]!;
    caPem = readFileSync(/development CA: (\S+)/.exec(banner)![1]!, 'utf8');
    // Trust only the generated CA: not the system store.
    const dispatcher = new Agent({ connect: { ca: caPem } });
    get = async (url, headers = {}) => {
      const res = await fetch(url, { headers, dispatcher });
      return { status: res.status, headers: res.headers as unknown as Headers, body: await res.text() };
    };
  });
  afterAll(async () => {
    await app?.stop();
  });

  const printed = (pattern: RegExp) => {
    const line = banner.split('\n').find((l) => pattern.test(l));
    expect(line, `the banner prints a line matching ${pattern}`).toBeDefined();
    return line!.trim();
  };

  it('prints two API keys once, with curl commands that work as printed', async () => {
    const readKey = /read: +(rg_test_\S+)/.exec(banner)![1]!;
    const writeKey = /read\+write: +(rg_test_\S+)/.exec(banner)![1]!;
    expect(readKey).not.toBe(writeKey);

    const list = await runShell(printed(new RegExp(`^ *curl .*/api/notes -H "X-API-Key: ${readKey}"$`)));
    expect(list.code).toBe(0);
    expect(Array.isArray(JSON.parse(list.stdout))).toBe(true);

    const add = await runShell(printed(new RegExp(`X-API-Key: ${writeKey}" .*-d '\\{"text":"hello"\\}'`)));
    expect(JSON.parse(add.stdout)).toMatchObject({ text: 'hello', id: expect.any(String) });

    const refused = await runShell(printed(/refused: read only/));
    expect(JSON.parse(refused.stdout)).toMatchObject({
      status: 403,
      error: 'insufficient_scope',
      scope: 'write',
    });
    expect(refused.stdout).not.toContain(readKey);
  });

  it('gets a client-credentials token from the dev issuer and calls the API with it, as printed', async () => {
    const script = [printed(/^ *TOKEN=\$\(curl/), printed(/api\/me -H "Authorization: Bearer \$TOKEN"/)].join(
      '\n',
    );
    const me = await runShell(script);
    expect(me.code).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ kind: 'token', scopes: ['read', 'write'] });
  });

  it('serves RFC 9728 metadata and challenges pointing at it, over HTTPS with HSTS', async () => {
    const metadata = await get(`${baseUrl}/.well-known/oauth-protected-resource`);
    expect(metadata.status).toBe(200);
    const doc = JSON.parse(metadata.body);
    expect(doc.resource).toBe('https://notes.restguard.test');
    expect(doc.authorization_servers).toHaveLength(1);
    expect(doc.authorization_servers[0]).toMatch(/^https:\/\//);
    expect(metadata.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);

    const anonymous = await get(`${baseUrl}/api/notes`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(
      `Bearer realm="notes", resource_metadata="${baseUrl}/.well-known/oauth-protected-resource", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"`,
    );
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('describes its security in an OpenAPI document generated from the routes', async () => {
    const res = await get(`${baseUrl}/openapi.json`);
    const doc = JSON.parse(res.body);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearerApiKey', 'oauth2']);
    expect(doc.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl).toMatch(
      /^https:\/\/.*token/,
    );
    expect(doc.paths['/api/notes'].get.security).toContainEqual({ oauth2: ['read'] });
    expect(doc.paths['/api/notes'].post.security).toContainEqual({ apiKey: ['write'] });
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    const docs = await get(`${baseUrl}/docs`);
    expect(docs.body).toContain('/api/notes');
    const home = await get(`${baseUrl}/`);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    expect(home.body).toContain('href="/auth/login"');
  });

  it('keeps its keys across a restart and does not print new ones', async () => {
    const readKey = /read: +(rg_test_\S+)/.exec(banner)![1]!;
    await app.stop();
    app = await startApp(
      `demo-${framework}`,
      { PORT: '0', RESTGUARD_DATA_DIR: dataDir },
      /browser: https:\/\/\S+\//,
    );
    expect(app.output()).not.toMatch(/rg_test_/);
    baseUrl = /listening on (https:\/\/\S+)/.exec(app.output())![1]!;
    const res = await get(`${baseUrl}/api/notes`, { 'x-api-key': readKey });
    expect(res.status).toBe(200);
  });
});
