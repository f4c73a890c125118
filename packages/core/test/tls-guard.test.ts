/**
 * The TLS policy through the guard, over real sockets: plain HTTP redirects or refuses (never a
 * redirect for a credential), HTTPS answers all carry HSTS, proxy headers count only from trusted
 * peers, and an exposed API key can be revoked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createMemoryApiKeyStore } from '../src/api-key/index.js';
import type { AuthEvent } from '../src/events.js';
import { createGuard, type Guard, type GuardOptions } from '../src/guard.js';
import {
  createHttpsServer,
  type DevCertificates,
  ensureDevCertificates,
  plainHttpListener,
} from '../src/node/index.js';
import {
  AUDIENCE,
  closeServer,
  createIssuerKey,
  guardHandler,
  ISSUER,
  listenHttp,
  portOf,
  send,
} from './tls-fixtures.js';

const HSTS = 'max-age=31536000; includeSubDomains';
let dir: string;
let dev: DevCertificates;
let issuer: Awaited<ReturnType<typeof createIssuerKey>>;
const servers: Server[] = [];
const guards: Guard[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restguard-tls-guard-'));
  dev = await ensureDevCertificates(dir);
  issuer = await createIssuerKey();
});
afterAll(async () => {
  await Promise.all(servers.map(closeServer));
  await Promise.all(guards.map((guard) => guard.close()));
  await rm(dir, { recursive: true, force: true });
});

/** One guard (tokens + API keys), served over plain HTTP and HTTPS with the same handler. */
async function setup(tls: GuardOptions['tls'] = { publicOrigin: 'https://api.restguard.test:8443' }) {
  const store = createMemoryApiKeyStore();
  const events: AuthEvent[] = [];
  const guard = createGuard({
    tokens: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks: issuer.jwks }] },
    apiKeys: { store, cache: false },
    tls,
    onEvent: (event) => events.push(event),
  });
  guards.push(guard);
  const handler = guardHandler(guard);
  const http = await listenHttp(handler);
  const https = createHttpsServer(handler, {
    certFile: dev.certFile,
    keyFile: dev.keyFile,
    watch: false,
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  servers.push(http, https);
  const issued = await createApiKey(store, { name: 'ci', permissions: ['read'] });
  return {
    events,
    key: issued.key,
    keyId: issued.record.id,
    httpUrl: `http://127.0.0.1:${portOf(http)}`,
    httpsUrl: `https://127.0.0.1:${portOf(https)}`,
  };
}

describe('plain HTTP', () => {
  it('redirects a GET or HEAD without credentials with 308 to the public origin, never the Host header', async () => {
    const { httpUrl } = await setup();
    for (const method of ['GET', 'HEAD']) {
      const reply = await send(`${httpUrl}/api/notes?page=2`, { method, headers: { host: 'evil.example' } });
      expect(reply.status).toBe(308);
      expect(reply.headers.location).toBe('https://api.restguard.test:8443/api/notes?page=2');
      expect(reply.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('refuses other methods, and GET without a public origin, with 403 https_required', async () => {
    const { httpUrl } = await setup();
    const post = await send(`${httpUrl}/api/notes`, { method: 'POST' });
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body).error).toBe('https_required');
    const noOrigin = await setup({});
    const get = await send(`${noOrigin.httpUrl}/api/notes`, { headers: { host: 'api.example' } });
    expect(get.status).toBe(403);
    expect(get.headers.location).toBeUndefined();
    expect(get.headers['content-type']).toBe('application/problem+json');
  });

  it('refuses a valid credential in every location, never redirecting, and reports which was exposed', async () => {
    const { httpUrl, events, key, keyId } = await setup();
    const token = await issuer.mint();
    const cases: Array<{ headers: Record<string, string>; url: string; source: string }> = [
      { headers: { authorization: `Bearer ${token}` }, url: '/api/notes', source: 'authorization' },
      { headers: { 'x-api-key': key }, url: '/api/notes', source: 'x-api-key' },
      { headers: { authorization: `Bearer ${key}` }, url: '/api/notes', source: 'authorization' },
      { headers: {}, url: `/api/notes?access_token=${token}`, source: 'query' },
    ];
    for (const { headers, url, source } of cases) {
      const reply = await send(httpUrl + url, { headers });
      expect(reply.status).toBe(403);
      expect(reply.headers.location).toBeUndefined();
      expect(reply.headers['content-type']).toBe('application/problem+json');
      expect(reply.body).not.toContain(token);
      expect(reply.body).not.toContain(key);
      expect(JSON.parse(reply.body).error).toBe('https_required');
      expect(events).toContainEqual(expect.objectContaining({ type: 'credential_exposed', source }));
    }
    const exposedKey = events.find((e) => e.type === 'credential_exposed' && e.source === 'x-api-key');
    expect(exposedKey).toMatchObject({ apiKeyId: keyId, revoked: false });
    expect(JSON.stringify(events)).not.toContain(key);
  });

  it('revokes an exposed restguard API key when asked to (opt-in)', async () => {
    const { httpUrl, httpsUrl, events, key, keyId } = await setup({ revokeExposedApiKeys: true });
    expect(
      (await send(`${httpsUrl}/api/notes`, { headers: { 'x-api-key': key }, ca: dev.caCertPem })).status,
    ).toBe(200);
    expect((await send(`${httpUrl}/api/notes`, { headers: { 'x-api-key': key } })).status).toBe(403);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'credential_exposed', apiKeyId: keyId, revoked: true }),
    );
    const after = await send(`${httpsUrl}/api/notes`, { headers: { 'x-api-key': key }, ca: dev.caCertPem });
    expect(after.status).toBe(401);
  });
});

describe('HTTPS', () => {
  it('carries HSTS on every answer, successes and errors alike', async () => {
    const { httpsUrl } = await setup();
    const ok = await issuer.mint();
    const readOnly = await issuer.mint({ scope: 'profile' });
    const cases: Array<[Record<string, string>, number]> = [
      [{ authorization: `Bearer ${ok}` }, 200],
      [{}, 401],
      [{ authorization: 'Bearer not.a.token' }, 401],
      [{ authorization: `Bearer ${readOnly}` }, 403],
      [{ authorization: 'Basic YTpi' }, 401],
      [{ authorization: 'Bearer not!a!token' }, 401],
    ];
    for (const [headers, status] of cases) {
      const reply = await send(`${httpsUrl}/api/notes`, { headers, ca: dev.caCertPem });
      expect(reply.status).toBe(status);
      expect(reply.headers['strict-transport-security']).toBe(HSTS);
    }
  });

  it('uses the configured HSTS value, or none when turned off', async () => {
    const custom = await setup({ hsts: { maxAgeSeconds: 63072000, preload: true } });
    const reply = await send(`${custom.httpsUrl}/api/notes`, { ca: dev.caCertPem });
    expect(reply.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload');
    const off = await setup({ hsts: false });
    expect(
      (await send(`${off.httpsUrl}/api/notes`, { ca: dev.caCertPem })).headers['strict-transport-security'],
    ).toBeUndefined();
  });
});

describe('behind a proxy', () => {
  it('ignores X-Forwarded-Proto and Forwarded from an untrusted peer', async () => {
    const { httpUrl } = await setup({});
    const token = await issuer.mint();
    const proxyHeaders: Array<Record<string, string>> = [
      { 'x-forwarded-proto': 'https' },
      { forwarded: 'for=192.0.2.1;proto=https' },
    ];
    for (const proxyHeader of proxyHeaders) {
      const reply = await send(`${httpUrl}/api/notes`, {
        headers: { ...proxyHeader, authorization: `Bearer ${token}` },
      });
      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.body).error).toBe('https_required');
    }
  });

  it('honours them from a trusted proxy (right-most value) and then sends HSTS', async () => {
    const { httpUrl } = await setup({ trustedProxies: ['127.0.0.1/32', '::1'] });
    const token = await issuer.mint();
    const auth = { authorization: `Bearer ${token}` };
    const viaXfp = await send(`${httpUrl}/api/notes`, { headers: { ...auth, 'x-forwarded-proto': 'https' } });
    expect(viaXfp.status).toBe(200);
    expect(viaXfp.headers['strict-transport-security']).toBe(HSTS);
    const viaForwarded = await send(`${httpUrl}/api/notes`, {
      headers: { ...auth, forwarded: 'for=192.0.2.1;proto=https' },
    });
    expect(viaForwarded.status).toBe(200);
    // The client wrote `https`; the proxy appended what it saw: `http`.
    const spoofed = await send(`${httpUrl}/api/notes`, {
      headers: { ...auth, 'x-forwarded-proto': 'https, http' },
    });
    expect(spoofed.status).toBe(403);
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
  });

  it('matches an IPv6 proxy address', async () => {
    const store = createMemoryApiKeyStore();
    const guard = createGuard({
      apiKeys: { store },
      tls: { trustedProxies: ['::1/128'] },
    });
    guards.push(guard);
    const server = await listenHttp(guardHandler(guard), '::1');
    servers.push(server);
    const { key } = await createApiKey(store, { name: 'v6', permissions: ['read'] });
    const reply = await send(`http://[::1]:${portOf(server)}/api/notes`, {
      headers: { 'x-api-key': key, 'x-forwarded-proto': 'https' },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['strict-transport-security']).toBe(HSTS);
  });
});

describe('plainHttpListener (HTTP_PORT)', () => {
  async function plain(tls: GuardOptions['tls']) {
    const store = createMemoryApiKeyStore();
    const events: AuthEvent[] = [];
    const guard = createGuard({ apiKeys: { store }, tls, onEvent: (event) => events.push(event) });
    guards.push(guard);
    const app = (_req: unknown, res: import('node:http').ServerResponse) => res.end('served by the app');
    const server = createServer(plainHttpListener(guard, app));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const { key } = await createApiKey(store, { name: 'plain', permissions: ['read'] });
    return { url: `http://127.0.0.1:${portOf(server)}`, events, key };
  }

  it('serves no route over plain HTTP: redirects GET/HEAD, refuses the rest and every credential', async () => {
    const { url, events, key } = await plain({ publicOrigin: 'https://localhost:8443' });
    const health = await send(`${url}/healthz`);
    expect(health.status).toBe(308);
    expect(health.headers.location).toBe('https://localhost:8443/healthz');
    expect((await send(`${url}/healthz`, { method: 'HEAD' })).status).toBe(308);
    const post = await send(`${url}/api/notes`, { method: 'POST' });
    expect(post.status).toBe(403);
    expect(post.body).not.toContain('served by the app');
    const withKey = await send(`${url}/healthz`, { headers: { 'x-api-key': key } });
    expect(withKey.status).toBe(403);
    expect(withKey.headers.location).toBeUndefined();
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'credential_exposed', source: 'x-api-key' }),
    );
  });

  it('hands requests a trusted proxy declares HTTPS to the application, and only those', async () => {
    const trusted = await plain({ trustedProxies: ['127.0.0.1'], publicOrigin: 'https://localhost:8443' });
    const proxied = await send(`${trusted.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(proxied.status).toBe(200);
    expect(proxied.body).toBe('served by the app');
    const untrusted = await plain({ publicOrigin: 'https://localhost:8443' });
    const spoofed = await send(`${untrusted.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(spoofed.status).toBe(308);
  });
});
