import swagger from '@fastify/swagger';
import { createGuard } from '@restguard/core';
import { openapi } from '@restguard/test-support';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restguard, restguardSwagger } from '../src/index.js';

const { store, keys, create: createKeys } = openapi.createOpenApiKeys();
let app: FastifyInstance;
let doc: openapi.OpenApiDocument;

beforeAll(async () => {
  await createKeys();
  app = Fastify();
  // restguard in an encapsulated child scope: the guard is shared with the swagger transform.
  const guard = createGuard({ apiKeys: { store }, tls: false });
  app.addHook('onClose', () => guard.close());
  await app.register(swagger, {
    openapi: { openapi: '3.1.0', info: { title: 'notes', version: '1.0.0' } },
    ...restguardSwagger(guard, { authorizationServer: { token_endpoint: 'https://idp.example/token' } }),
  });
  const ok = async () => ({ ok: true });
  app.get('/healthz', ok);
  await app.register(
    async (api) => {
      await api.register(restguard, { guard });
      api.get('/me', ok);
      api.get('/notes', { config: { restguard: { scopes: ['read'] } } }, ok);
      api.post('/notes', { onRequest: api.restguard.require(['write']) }, ok);
      api.delete(
        '/notes/:id',
        { config: { restguard: { scopes: { all: ['read'], any: ['write', 'admin'] } } } },
        ok,
      );
    },
    { prefix: '/api' },
  );
  await app.ready();
  doc = app.swagger() as unknown as openapi.OpenApiDocument;
});
afterAll(() => app.close());

describe('Fastify: the OpenAPI document from @fastify/swagger', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearerApiKey']);
  });

  it('lists exactly the scopes each route enforces, and none on an unguarded route', () => {
    expect(doc.paths['/healthz']?.get).toBeDefined();
    openapi.expectNotesRouteScopes(doc);
    expect(doc.paths['/api/notes']?.head).toBeUndefined();
  });

  it('answers every key the way its document says', async () => {
    const checks = await openapi.askEveryOperation(doc, keys, async (method, path, headers) => {
      const res = await app.inject({ method: method as 'GET', url: path, headers });
      return res.statusCode;
    });
    for (const check of checks) expect(check.allowed, check.label).toBe(check.allowedByDoc);
    expect(checks.length).toBe(5 * 6);
  });
});

describe('Fastify: restguard registered at the root, restguardSwagger(app)', () => {
  it('documents the routes the plugin guards (a token-less guard: API-key schemes only)', async () => {
    const root = Fastify();
    await root.register(restguard, { apiKeys: { store }, tls: false, optional: true });
    await root.register(swagger, {
      openapi: { openapi: '3.1.0', info: { title: 'root', version: '1.0.0' } },
      ...restguardSwagger(root),
    });
    root.get('/public', async () => ({ ok: true }));
    root.get('/notes', { config: { restguard: { scopes: ['read'] } } }, async () => ({ ok: true }));
    await root.ready();
    const rootDoc = root.swagger() as unknown as openapi.OpenApiDocument;
    await root.close();
    const result = await new Validator().validate(rootDoc as never);
    expect(result.valid).toBe(true);
    // optional: a route without its own requirement is not protected
    expect(rootDoc.paths['/public']?.get?.security).toBeUndefined();
    expect(rootDoc.paths['/notes']?.get?.security).toEqual([
      { apiKey: ['read'] },
      { bearerApiKey: ['read'] },
    ]);
  });
});
