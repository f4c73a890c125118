import { createGuard, createMemoryApiKeyStore, guardOpenApiDocument } from '@restguard/core';
import { describe, expect, it } from 'vitest';
import { DemoConfigError, readDemoConfig } from '../src/config.js';
import { demoOpenApiOptions } from '../src/openapi.js';
import { colonPath, createApiRoutes } from '../src/routes.js';

const ACME = {
  TLS_ACME_DIRECTORY: 'https://ca.example/dir',
  TLS_ACME_DOMAINS: 'notes.example.com, api.example.com',
};
const read = (env: Record<string, string>) => readDemoConfig(env, { appDir: '/srv/app', defaultPort: 8443 });

describe('readDemoConfig (the demo contract)', () => {
  it('applies the contract defaults', () => {
    const config = read({});
    expect(config).toMatchObject({
      port: 8443,
      host: '127.0.0.1',
      httpPort: undefined,
      issuer: undefined,
      audience: 'https://notes.restguard.test',
      databaseUrl: 'sqlite:/srv/app/data/keys.sqlite',
      devIssuerPort: 8444,
    });
  });

  it('reads every variable of the contract', () => {
    const config = read({
      PORT: '9000',
      HOST: '0.0.0.0',
      HTTP_PORT: '8080',
      TLS_CERT_FILE: '/c.pem',
      TLS_KEY_FILE: '/k.pem',
      AUTH_ISSUER: 'https://idp.example/realms/acme',
      AUTH_AUDIENCE: 'https://api.example',
      DATABASE_URL: 'postgres://u@db/notes',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      httpPort: 8080,
      tlsCertFile: '/c.pem',
      tlsKeyFile: '/k.pem',
      issuer: 'https://idp.example/realms/acme',
      audience: 'https://api.example',
      databaseUrl: 'postgres://u@db/notes',
    });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be a port number/],
    [{ PORT: '70000' }, /PORT must be a port number/],
    [{ TLS_CERT_FILE: '/c.pem' }, /must be set together/],
    [{ AUTH_ISSUER: 'http://idp.example' }, /AUTH_ISSUER must be an https:\/\/ URL/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must start with sqlite: or postgres:\/\//],
    [{ RESTGUARD_API_KEY_PEPPER: 'no-colon' }, /RESTGUARD_API_KEY_PEPPER must be ID:SECRET/],
    [{ TLS_ACME_DOMAINS: 'a.example.com' }, /TLS_ACME_DOMAINS needs TLS_ACME_DIRECTORY/],
    [{ TLS_ACME_DIRECTORY: 'http://ca.example/dir' }, /TLS_ACME_DIRECTORY must be an https:\/\/ URL/],
    [{ ...ACME, TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem' }, /exclude each other/],
    [{ ...ACME, TLS_ACME_DOMAINS: ' , ' }, /TLS_ACME_DOMAINS must list the DNS names/],
    [{ ...ACME, TLS_ACME_AGREE_TOS: 'yes' }, /TLS_ACME_AGREE_TOS must be true or false/],
    [{ ...ACME, TLS_ACME_AGREE_TOS: 'false' }, /without agreeing to the ACME CA's terms/],
    [{ ...ACME, TLS_ACME_CHALLENGE: 'dns-01' }, /TLS_ACME_CHALLENGE must be http-01 or tls-alpn-01/],
    [{ ...ACME, TLS_ACME_CHALLENGE: 'http-01' }, /http-01 needs HTTP_PORT/],
  ])('refuses %o with one clear message', (env, message) => {
    expect(() => read(env)).toThrow(DemoConfigError);
    expect(() => read(env)).toThrow(message);
  });

  it('reads TLS_ACME_*: TLS-ALPN-01 by default, HTTP-01 when HTTP_PORT is set', () => {
    expect(read({ ...ACME, TLS_ACME_EMAIL: 'ops@example.com', TLS_ACME_CA_FILE: '/ca.pem' }).acme).toEqual({
      directoryUrl: 'https://ca.example/dir',
      domains: ['notes.example.com', 'api.example.com'],
      email: 'ops@example.com',
      caFile: '/ca.pem',
      challenge: 'tls-alpn-01',
    });
    expect(read({ ...ACME, HTTP_PORT: '8080' }).acme?.challenge).toBe('http-01');
    expect(read({}).acme).toBeUndefined();
  });

  it('reads REDIS_URL for shared rate-limit counters, and refuses another scheme', () => {
    expect(read({}).redisUrl).toBeUndefined();
    expect(read({ REDIS_URL: 'redis://127.0.0.1:6379/3' }).redisUrl).toBe('redis://127.0.0.1:6379/3');
    expect(() => read({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(DemoConfigError);
  });

  it('never echoes a pepper in its error', () => {
    expect(() => read({ RESTGUARD_API_KEY_PEPPER: 'hunter2hunter2' })).toThrow(/^((?!hunter2).)*$/);
  });
});

describe('the OpenAPI document', () => {
  // What an adapter does: record each route with what it enforces, then build the document.
  const routes = createApiRoutes();
  const guard = createGuard({
    apiKeys: { store: createMemoryApiKeyStore() },
    tokens: { issuers: [{ issuer: 'https://idp.test', audience: 'https://notes.restguard.test' }] },
    tls: false,
    optional: true,
  });
  for (const route of routes) guard.routes.record(route.method, colonPath(route.path), route.scopes);
  const doc = guardOpenApiDocument(
    guard,
    demoOpenApiOptions(routes, {
      serverUrl: 'https://127.0.0.1:8443',
      tokenEndpoint: 'https://127.0.0.1:8444/token',
      authorizationEndpoint: 'https://127.0.0.1:8444/auth',
      audience: 'https://notes.restguard.test',
    }),
  ) as {
    paths: Record<
      string,
      Record<string, { security?: unknown[]; summary: string; responses: Record<string, unknown> }>
    >;
  };

  it('documents each operation with the scopes its route enforces, under every scheme', () => {
    expect(doc.paths['/api/notes']!.get!.security).toEqual([
      { oauth2: ['read'] },
      { apiKey: ['read'] },
      { bearerApiKey: ['read'] },
    ]);
    expect(doc.paths['/api/notes']!.get!.summary).toBe('List notes');
    expect(doc.paths['/api/notes']!.post!.security).toContainEqual({ oauth2: ['write'] });
    expect(doc.paths['/api/notes/{id}']!.delete!.security).toContainEqual({ apiKey: ['write'] });
    expect(doc.paths['/api/me']!.get!.security).toContainEqual({ oauth2: [] });
    expect(doc.paths['/healthz']!.get!.security).toBeUndefined();
    expect(guard.routes.scopes()).toEqual(['read', 'write']);
  });

  it('adds the auth answers only to protected operations', () => {
    expect(Object.keys(doc.paths['/api/notes']!.post!.responses)).toEqual(
      expect.arrayContaining(['401', '403', '503']),
    );
    expect(Object.keys(doc.paths['/api/me']!.get!.responses)).not.toContain('403');
    expect(Object.keys(doc.paths['/healthz']!.get!.responses)).not.toContain('401');
  });
});

describe('the notes routes', () => {
  const routes = createApiRoutes();
  const create = routes.find((r) => r.operationId === 'createNote')!;
  const principal = { kind: 'apiKey' as const, subject: 'apikey:1', scopes: new Set(['write']) };

  it('creates a note with a Location, and refuses non-JSON and empty notes as problems', async () => {
    const created = await create.handle({
      principal,
      params: {},
      body: { text: 'hi' },
      contentType: 'application/json',
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/api/notes/${JSON.parse(created.body).id}`);
    const notJson = await create.handle({
      principal,
      params: {},
      body: undefined,
      contentType: 'text/plain',
    });
    expect(notJson.status).toBe(415);
    expect(notJson.headers['content-type']).toBe('application/problem+json');
    const empty = await create.handle({
      principal,
      params: {},
      body: { text: ' ' },
      contentType: 'application/json',
    });
    expect(empty.status).toBe(400);
  });
});
