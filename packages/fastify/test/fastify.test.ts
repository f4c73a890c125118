import { createGuard, principalToJSON } from '@restguard/core';
import { adapter } from '@restguard/test-support';
import { generateTestTls, sendRaw as send } from '@restguard/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restguard } from '../src/index.js';

const { store, events, options, keys, createKeys } = adapter.createFixture({ tls: false });
const json = { 'content-type': 'application/json' };

beforeAll(createKeys);

describe('the plugin', () => {
  let app: FastifyInstance;
  let base = '';
  beforeAll(async () => {
    app = Fastify();
    app.get('/healthz', async () => ({ ok: true }));
    await app.register(
      async (api) => {
        await api.register(restguard, options());
        api.get('/me', async (request) => principalToJSON(request.auth!));
        api.get('/notes', { config: { restguard: { scopes: ['read'] } } }, async () => []);
        api.post('/notes', { onRequest: api.restguard.require(['write']) }, async (request, reply) =>
          reply.code(201).send(request.body),
        );
        api.get('/any', { onRequest: api.restguard.require({ any: ['write', 'admin'] }) }, async () => ({
          ok: true,
        }));
        api.get('/boom', async () => {
          throw new Error('secret internals');
        });
      },
      { prefix: '/api' },
    );
    await app.register(
      async (opt) => {
        await opt.register(restguard, options({ optional: true }));
        opt.get('/whoami', async (request) => ({ subject: request.auth?.subject ?? null }));
      },
      { prefix: '/opt' },
    );
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it('sets request.auth from an API key', async () => {
    adapter.expectReadKeyPrincipal(await adapter.sendWithKey(`${base}/api/me`, keys.read));
  });

  it('answers a missing credential with 401, a bare challenge and problem+json (no charset added)', async () => {
    const res = await send(`${base}/api/notes`);
    adapter.expectBareChallenge(res);
  });

  it('enforces a route config requirement and a require() hook (all-of)', async () => {
    expect((await adapter.sendWithKey(`${base}/api/notes`, keys.read)).status).toBe(200);
    const refused = await adapter.postJsonWithKey(`${base}/api/notes`, keys.read, '{"text":"x"}');
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toContain('scope="write"');
    const ok = await adapter.postJsonWithKey(`${base}/api/notes`, keys.write, '{"text":"x"}');
    expect(ok.status).toBe(201);
  });

  it('enforces any-of scopes', async () => {
    expect((await adapter.sendWithKey(`${base}/api/any`, keys.read)).status).toBe(403);
    expect((await adapter.sendWithKey(`${base}/api/any`, keys.write)).status).toBe(200);
  });

  it('keeps repeated credential headers apart (400 invalid_request)', async () => {
    const res = await adapter.sendTwoBearers(`${base}/api/me`, keys.read, keys.write);
    expect(res.status).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('respects encapsulation: a sibling scope and the root are not guarded', async () => {
    expect((await send(`${base}/healthz`)).status).toBe(200);
    const anonymous = await send(`${base}/opt/whoami`);
    expect(anonymous.status).toBe(200);
    expect(JSON.parse(anonymous.body)).toEqual({ subject: null });
    expect(
      (
        await send(`${base}/opt/whoami`, {
          headers: [['x-api-key', `${keys.read.slice(0, -1)}${keys.read.endsWith('x') ? 'y' : 'x'}`]],
        })
      ).status,
    ).toBe(401);
  });

  it("renders Fastify's own 400, 415 and 404 as problem+json without their messages", async () => {
    const bad = await adapter.postJsonWithKey(`${base}/api/notes`, keys.write, '{"text": SECRET');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('application/problem+json');
    expect(bad.body).toBe('{"type":"about:blank","title":"Bad Request","status":400}');
    const media = await send(`${base}/api/notes`, {
      method: 'POST',
      headers: [
        ['x-api-key', keys.write],
        ['content-type', 'text/xml'],
      ],
      body: '<a/>',
    });
    expect(media.status).toBe(415);
    expect(media.body).toBe('{"type":"about:blank","title":"Unsupported Media Type","status":415}');
    const missing = await adapter.sendWithKey(`${base}/api/nope`, keys.read);
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('{"type":"about:blank","title":"Not Found","status":404}');
  });

  it('answers an application error as a bare 500', async () => {
    const res = await adapter.sendWithKey(`${base}/api/boom`, keys.read);
    expect(res.status).toBe(500);
    expect(res.body).toBe('{"type":"about:blank","title":"Internal server error","status":500}');
  });

  it('emits events without the credential', () => {
    expect(events.some((event) => event.type === 'authenticated' && event.kind === 'apiKey')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(keys.read);
  });
});

describe('registration options', () => {
  it('refuses an unknown key nested in the guard options when the plugin is registered', async () => {
    const app = Fastify();
    try {
      await expect(
        app.register(restguard, options({ tls: { trustedProxy: ['10.0.0.1'] } as never })).ready(),
      ).rejects.toThrow(/^tls: unknown option "trustedProxy" \(did you mean "trustedProxies"\?\)/);
    } finally {
      await app.close();
    }
  });

  it('rejects a malformed requirement when the route is declared', async () => {
    const app = Fastify();
    await app.register(restguard, options());
    expect(() => app.restguard.require('write' as never)).toThrow(/scope requirement/);
    expect(() =>
      app.get('/x', { config: { restguard: { scopes: 'write' as never } } }, async () => 'x'),
    ).toThrow(/scope requirement/);
    await app.close();
  });

  it('shares a prebuilt guard ({ guard }) and leaves closing it to the app', async () => {
    const guard = createGuard(options());
    let closed = 0;
    const shared = { ...guard, close: async () => void closed++ };
    const app = Fastify();
    await app.register(restguard, { guard: shared });
    expect(app.restguard.guard).toBe(shared);
    await app.close();
    expect(closed).toBe(0);
  });

  it('reads connection facts through the connectionInfo option', async () => {
    const sockets: boolean[] = [];
    const app = Fastify();
    // A reader that claims TLS: the guard must believe it (proves the option is the one consulted).
    await app.register(restguard, {
      apiKeys: { store },
      connectionInfo: (socket) => {
        sockets.push(!!socket);
        return { tls: true };
      },
    });
    app.get('/x', async (request) => ({ kind: request.auth?.kind }));
    const res = await app.inject({ url: '/x', headers: { 'x-api-key': keys.read } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=/);
    expect(sockets).toEqual([true]);
    await app.close();
  });

  it('leaves Fastify’s own handlers in place with errorHandlers: false', async () => {
    const app = Fastify();
    await app.register(restguard, { ...options(), errorHandlers: false });
    const res = await app.inject({ url: '/nope', headers: { 'x-api-key': keys.read } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/json');
    await app.close();
  });
});

describe('over HTTPS with the TLS policy on', () => {
  it('sends HSTS on every answer, including refusals, errors and 404s', async () => {
    const tls = await generateTestTls();
    const app = Fastify({ https: { cert: tls.certPem, key: tls.keyPem } });
    await app.register(restguard, { apiKeys: { store } });
    app.get('/api/notes', { config: { restguard: { scopes: ['read'] } } }, async () => []);
    app.post('/api/notes', async () => []);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const cases: Array<[string, string, Array<[string, string]>, number]> = [
        ['GET', '/api/notes', [['x-api-key', keys.read]], 200],
        ['GET', '/api/notes', [], 401],
        ['GET', '/api/nope', [['x-api-key', keys.read]], 404],
        ['POST', '/api/notes', [['x-api-key', keys.read], ...Object.entries(json)], 400],
      ];
      for (const [method, path, headers, status] of cases) {
        const res = await send(`${base}${path}`, {
          method,
          headers,
          ca: tls.caPem,
          body: method === 'POST' ? '{' : undefined,
        });
        expect(res.status).toBe(status);
        expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      }
    } finally {
      await app.close();
    }
  });
});
