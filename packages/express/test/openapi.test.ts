import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openapi } from '@restguard/test-support';
import { Validator } from '@seriousme/openapi-schema-validator';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument, requireScopes, restguard, restguardErrorHandler } from '../src/index.js';

const { store, keys, create: createKeys } = openapi.createOpenApiKeys();

beforeAll(async () => {
  await createKeys();
});

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
])('%s: the OpenAPI document', (_name, express) => {
  let server: Server;
  let base = '';
  let doc: openapi.OpenApiDocument;

  beforeAll(async () => {
    const app = express();
    const ok = (_req: unknown, res: { json: (v: unknown) => void }) => res.json({ ok: true });
    app.get('/healthz', ok);
    app.use('/api', restguard({ apiKeys: { store }, tls: false }));
    app.get('/api/me', ok);
    app.get('/api/notes', requireScopes(['read']), ok);
    app.post('/api/notes', requireScopes(['write']), ok);
    app.delete('/api/notes/:id', requireScopes({ all: ['read'], any: ['write', 'admin'] }), ok);
    app.use(restguardErrorHandler());
    doc = openApiDocument(app, {
      base: { openapi: '3.1.0', info: { title: 'notes', version: '1.0.0' } },
      authorizationServer: { token_endpoint: 'https://idp.example/token' },
      tokens: true,
    }) as unknown as openapi.OpenApiDocument;
    server = createServer(app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearerApiKey', 'oauth2']);
  });

  it('lists exactly the scopes each route enforces, and none on an unguarded route', () => {
    openapi.expectNotesRouteScopes(doc);
    expect(doc.paths['/api/notes']?.get?.security).toContainEqual({ oauth2: ['read'] });
  });

  it('answers every key the way its document says', async () => {
    const checks = await openapi.askEveryOperation(doc, keys, async (method, path, headers) => {
      const res = await fetch(base + path, { method, headers });
      return res.status;
    });
    for (const check of checks) expect(check.allowed, check.label).toBe(check.allowedByDoc);
    expect(checks.length).toBe(5 * 6);
  });
});
