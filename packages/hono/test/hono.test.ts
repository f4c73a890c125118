import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createGuard, type GuardOptions, principalToJSON } from '@restguard/core';
import { adapter } from '@restguard/test-support';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { validator } from 'hono/validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notFound, onError, type RestguardEnv, requireScopes, restguard } from '../src/index.js';

const { store, events, options, keys, createKeys } = adapter.createFixture();

beforeAll(createKeys);

/** One app, served two ways: `app.request()` (Web-standard, no Node socket) and @hono/node-server. */
function buildApp(guardOptions: GuardOptions): Hono<RestguardEnv> {
  const app = new Hono<RestguardEnv>();
  const serverErrors: unknown[] = [];
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.use('/api/*', restguard(guardOptions));
  app.use('/opt/*', restguard({ ...guardOptions, optional: true }));
  app.get('/api/me', (c) => c.json(principalToJSON(c.get('auth')!)));
  app.get('/api/notes', requireScopes(['read']), (c) => c.json([]));
  app.post(
    '/api/notes',
    requireScopes(['write']),
    validator('json', (value) => value),
    (c) => c.json(c.req.valid('json'), 201),
  );
  app.get('/api/any', requireScopes({ any: ['write', 'admin'] }), (c) => c.json({ ok: true }));
  app.put('/api/notes', () => {
    throw new HTTPException(405);
  });
  app.get('/api/boom', () => {
    throw new Error('secret internals');
  });
  app.get('/opt/whoami', (c) => c.json({ subject: c.get('auth')?.subject ?? null }));
  app.notFound(notFound());
  app.onError(onError({ onServerError: (err) => serverErrors.push(err) }));
  return app;
}

describe('with app.request() (Web-standard path: TLS from the URL scheme)', () => {
  const app = buildApp(options());

  it('sets c.get("auth") over https:// and adds HSTS to the answer', async () => {
    const res = await app.request('https://api.test/api/me', { headers: { 'x-api-key': keys.read } });
    expect(res.status).toBe(200);
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(await res.json()).toMatchObject({ kind: 'apiKey', scopes: ['read'] });
  });

  it('refuses a credential sent to an http:// URL (403 https_required)', async () => {
    const res = await app.request('http://api.test/api/me', { headers: { 'x-api-key': keys.read } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ error: 'https_required' });
  });

  it('answers a missing credential with 401 and a bare challenge (HSTS included)', async () => {
    const res = await app.request('https://api.test/api/notes');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="restguard"');
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=/);
  });

  it('enforces all-of and any-of scopes through HTTPException answers', async () => {
    const post = (key: string) =>
      app.request('https://api.test/api/notes', {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: '{"text":"x"}',
      });
    const refused = await post(keys.read);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('scope="write"');
    expect(refused.headers.get('strict-transport-security')).toMatch(/^max-age=/);
    expect((await post(keys.write)).status).toBe(201);
    const any = (key: string) => app.request('https://api.test/api/any', { headers: { 'x-api-key': key } });
    expect((await any(keys.read)).status).toBe(403);
    expect((await any(keys.write)).status).toBe(200);
  });

  it('answers optional auth anonymously, but still refuses a bad key', async () => {
    const anonymous = await app.request('https://api.test/opt/whoami');
    expect(await anonymous.json()).toEqual({ subject: null });
    const bad = await app.request('https://api.test/opt/whoami', {
      headers: { 'x-api-key': `${keys.read.slice(0, -1)}${keys.read.endsWith('x') ? 'y' : 'x'}` },
    });
    expect(bad.status).toBe(401);
  });

  it('renders 404, 405, a malformed JSON body and a bug as problem+json without messages', async () => {
    const headers = { 'x-api-key': keys.write };
    const missing = await app.request('https://api.test/api/nope', { headers });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('{"type":"about:blank","title":"Not Found","status":404}');
    const method = await app.request('https://api.test/api/notes', { method: 'PUT', headers });
    expect(method.status).toBe(405);
    expect(await method.text()).toBe('{"type":"about:blank","title":"Method Not Allowed","status":405}');
    const malformed = await app.request('https://api.test/api/notes', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{"text": SECRET',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toBe('{"type":"about:blank","title":"Bad Request","status":400}');
    const bug = await app.request('https://api.test/api/boom', { headers });
    expect(bug.status).toBe(500);
    expect(bug.headers.get('content-type')).toBe('application/problem+json');
    expect(await bug.text()).not.toContain('secret');
  });

  it('refuses (500, never a pass) a requireScopes() that runs without restguard()', async () => {
    const bare = new Hono();
    bare.get('/x', requireScopes(['read']), (c) => c.text('passed'));
    bare.onError(onError({ onServerError: () => {} }));
    const res = await bare.request('https://api.test/x', { headers: { 'x-api-key': keys.write } });
    expect(res.status).toBe(500);
  });
});

describe('on @hono/node-server (TLS and raw headers from the Node socket)', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer(getRequestListener(buildApp(options({ tls: false })).fetch));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('sets c.get("auth") from an API key', async () => {
    const res = await adapter.sendWithKey(`${base}/api/me`, keys.read);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'apiKey' });
  });

  it('keeps repeated credential headers apart (400 invalid_request)', async () => {
    const res = await adapter.sendTwoBearers(`${base}/api/me`, keys.read, keys.write);
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('takes TLS from the socket, not from the Host or URL (plain socket + policy on → refused)', async () => {
    const strict = createServer(getRequestListener(buildApp(options()).fetch));
    strict.listen(0, '127.0.0.1');
    await once(strict, 'listening');
    try {
      const port = (strict.address() as AddressInfo).port;
      const res = await adapter.sendWithKey(`http://127.0.0.1:${port}/api/me`, keys.read);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'https_required' });
    } finally {
      strict.close();
    }
  });
});

describe('restguard() options', () => {
  it('accepts a prebuilt guard and exposes it', async () => {
    const guard = createGuard(options());
    expect(restguard(guard).guard).toBe(guard);
    await guard.close();
  });

  it('rejects a malformed requirement at start-up', () => {
    expect(() => requireScopes('write' as never)).toThrow(/scope requirement/);
  });

  it('refuses unknown keys in its own options, in onError options and nested in the guard options', () => {
    expect(() => restguard(options(), { connectioninfo: () => ({}) } as never)).toThrow(
      /^restguard \(Hono options\): unknown option "connectioninfo" \(did you mean "connectionInfo"\?\)/,
    );
    expect(() => onError({ onServerErrors: () => {} } as never)).toThrow(
      /^onError: unknown option "onServerErrors" \(did you mean "onServerError"\?\)/,
    );
    expect(() => restguard(options({ apiKeys: { store, prefixs: ['rg_live'] } as never }))).toThrow(
      /^apiKeys: unknown option "prefixs"/,
    );
  });

  it('emits events without the credential', () => {
    expect(events.some((event) => event.type === 'credential_exposed')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(keys.read);
  });
});

/** An app whose only guard is browser sessions, so its /auth/* routes read request bodies. */
function sessionsApp(): Hono<RestguardEnv> {
  const app = new Hono<RestguardEnv>();
  app.use(
    restguard({
      sessions: {
        issuer: 'https://idp.test',
        clientId: 'web',
        clientSecret: 'web-secret',
        baseUrl: 'https://api.test',
        secrets: ['web-session-secret-0123456789abcdef'],
      },
    }),
  );
  return app;
}

describe('every body read is bounded on the Web-standard path (c.req.raw.body)', () => {
  it('a 64 MiB streamed back-channel logout body: 413, read no further than the cap, stream cancelled', async () => {
    const app = sessionsApp();
    let pulled = 0;
    let cancelled = false;
    const chunk = new Uint8Array(16 * 1024).fill(97);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 4096)
          controller.close(); // 64 MiB in all
        else controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    const res = await app.request('https://api.test/auth/backchannel-logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ type: 'urn:restguard:problem:body_too_large', status: 413 });
    expect(pulled).toBeLessThan(16); // 64 KiB cap: a few 16 KiB chunks, not 4096
    expect(cancelled).toBe(true);
  });

  it('a Content-Length over the cap is refused before a byte is read', async () => {
    const app = sessionsApp();
    const res = await app.request('https://api.test/auth/backchannel-logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `logout_token=${'a'.repeat(70_000)}`,
    });
    expect(res.status).toBe(413);
  });
});
