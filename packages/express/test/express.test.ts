import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createGuard, principalToJSON } from '@restguard/core';
import { adapter } from '@restguard/test-support';
import { generateTestTls, sendRaw as send } from '@restguard/testing';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notFoundHandler, requireScopes, restguard, restguardErrorHandler } from '../src/index.js';

const { store, events, options, keys, createKeys } = adapter.createFixture({ tls: false });
beforeAll(createKeys);

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
])('%s', (_name, express) => {
  let base = '';
  let server: Server;
  const serverErrors: unknown[] = [];

  beforeAll(async () => {
    const app = express();
    const auth = restguard(options());
    app.get('/healthz', (_req, res) => res.json({ ok: true }));
    app.get('/unguarded', requireScopes(['read']), (_req, res) => res.json({ ok: true }));
    app.use('/api', auth);
    app.use('/opt', restguard(options({ optional: true })));
    app.use(express.json());
    app.get('/api/me', (req, res) => res.json(principalToJSON(req.auth!)));
    app.get('/api/notes', requireScopes(['read']), (_req, res) => res.json([]));
    app.post('/api/notes', requireScopes(['write']), (req, res) => res.status(201).json(req.body));
    app.get('/api/any', requireScopes({ any: ['write', 'admin'] }), (_req, res) => res.json({ ok: true }));
    app.get('/api/boom', () => {
      throw new Error('secret internals');
    });
    app.get('/opt/whoami', (req, res) => res.json({ subject: req.auth?.subject ?? null }));
    app.use(notFoundHandler());
    app.use(restguardErrorHandler({ onServerError: (err) => serverErrors.push(err) }));
    server = createServer(app);
    base = `http://${await listen(server)}`;
  });
  afterAll(() => server.close());

  it('sets req.auth from an API key and lets the route answer', async () => {
    adapter.expectReadKeyPrincipal(await adapter.sendWithKey(`${base}/api/me`, keys.read));
  });

  it('answers a missing credential with 401, a bare challenge and problem+json', async () => {
    const res = await send(`${base}/api/notes`);
    adapter.expectBareChallenge(res);
    expect(JSON.parse(res.body)).toMatchObject({ status: 401, title: 'Authentication required' });
  });

  it('enforces all-of scopes with 403 insufficient_scope naming the scope', async () => {
    const res = await adapter.postJsonWithKey(`${base}/api/notes`, keys.read, '{"text":"x"}');
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).toContain('scope="write"');
    const ok = await adapter.postJsonWithKey(`${base}/api/notes`, keys.write, '{"text":"x"}');
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.body)).toEqual({ text: 'x' });
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

  it('lets an anonymous request through under optional auth, but not a bad key', async () => {
    const anonymous = await send(`${base}/opt/whoami`);
    expect(anonymous.status).toBe(200);
    expect(JSON.parse(anonymous.body)).toEqual({ subject: null });
    // Change the last character (never to itself): the checksum no longer matches.
    const typo = `${keys.read.slice(0, -1)}${keys.read.endsWith('x') ? 'y' : 'x'}`;
    const bad = await adapter.sendWithKey(`${base}/opt/whoami`, typo);
    expect(bad.status).toBe(401);
  });

  it('renders the framework’s own errors as problem+json without the parser’s message', async () => {
    const res = await adapter.postJsonWithKey(`${base}/api/notes`, keys.write, '{"text": SECRET');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toBe('{"type":"about:blank","title":"Bad Request","status":400}');
  });

  it('answers 404 as problem+json', async () => {
    const res = await adapter.sendWithKey(`${base}/api/nope`, keys.read);
    expect(res.status).toBe(404);
    expect(res.body).toBe('{"type":"about:blank","title":"Not Found","status":404}');
  });

  it('answers an application error as a bare 500 and reports it to onServerError', async () => {
    const res = await adapter.sendWithKey(`${base}/api/boom`, keys.read);
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('secret');
    expect(res.body).not.toContain(' at ');
    expect(serverErrors.some((err) => (err as Error).message === 'secret internals')).toBe(true);
  });

  it('refuses (500, never a pass) a requireScopes() that runs without restguard()', async () => {
    const res = await adapter.sendWithKey(`${base}/unguarded`, keys.write);
    expect(res.status).toBe(500);
  });
});

describe('restguard() and requireScopes() options', () => {
  it('accepts a prebuilt guard and exposes it', async () => {
    const guard = createGuard(options());
    expect(restguard(guard).guard).toBe(guard);
    await guard.close();
  });

  it('reads connection facts through the connectionInfo option', async () => {
    const sockets: boolean[] = [];
    const app = express5();
    // A reader that claims TLS: the guard must believe it (proves the option is the one consulted).
    app.use(
      restguard(
        { apiKeys: { store } },
        {
          connectionInfo: (socket) => {
            sockets.push(!!socket);
            return { tls: true };
          },
        },
      ),
    );
    app.get('/x', (req, res) => res.json({ kind: req.auth?.kind }));
    const server = createServer(app);
    const base = `http://${await listen(server)}`;
    try {
      const res = await adapter.sendWithKey(`${base}/x`, keys.read);
      expect(res.status).toBe(200);
      expect(sockets).toEqual([true]);
    } finally {
      server.close();
    }
  });

  it('refuses unknown keys in its own options, in the error handler options and nested in the guard options', () => {
    expect(() => restguard(options(), { connectioninfo: () => ({}) } as never)).toThrow(
      /^restguard \(Express options\): unknown option "connectioninfo" \(did you mean "connectionInfo"\?\)/,
    );
    expect(() => restguardErrorHandler({ onServerErrors: () => {} } as never)).toThrow(
      /^restguardErrorHandler: unknown option "onServerErrors" \(did you mean "onServerError"\?\)/,
    );
    expect(() => restguard(options({ apiKeys: { store, prefixs: ['rg_live'] } as never }))).toThrow(
      /^apiKeys: unknown option "prefixs"/,
    );
  });

  it('rejects a malformed requirement at start-up', () => {
    expect(() => requireScopes('write' as never)).toThrow(/scope requirement/);
    expect(() => requireScopes(['read write'])).toThrow(/scope requirement/);
    expect(() => requireScopes({ one: ['x'] } as never)).toThrow(/scope requirement/);
  });

  it('emits events without the credential', () => {
    expect(events.some((event) => event.type === 'authenticated' && event.kind === 'apiKey')).toBe(true);
    expect(events.some((event) => event.type === 'rejected' && event.code === 'ERR_SCOPE_INSUFFICIENT')).toBe(
      true,
    );
    expect(JSON.stringify(events)).not.toContain(keys.read);
  });
});

describe('over HTTPS with the TLS policy on', () => {
  it('sends HSTS on every answer, including refusals and 404s', async () => {
    const tls = await generateTestTls();
    const app = express5();
    app.use(restguard({ apiKeys: { store } }));
    app.get('/api/notes', requireScopes(['read']), (_req, res) => res.json([]));
    app.use(notFoundHandler());
    const server = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, app);
    const base = `https://${await listen(server)}`;
    try {
      for (const [path, headers, status] of [
        ['/api/notes', [['x-api-key', keys.read]], 200],
        ['/api/notes', [], 401],
        ['/api/nope', [['x-api-key', keys.read]], 404],
      ] as const) {
        const res = await send(`${base}${path}`, { headers: headers.map(([k, v]) => [k, v]), ca: tls.caPem });
        expect(res.status).toBe(status);
        expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      }
    } finally {
      server.close();
    }
  });
});
