import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { openapi } from '@restguard/test-support';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { onError, openApiDocument, type RestguardEnv, requireScopes, restguard } from '../src/index.js';

const { store, keys, create: createKeys } = openapi.createOpenApiKeys();
const app = new OpenAPIHono<RestguardEnv>();
let doc: openapi.OpenApiDocument;

beforeAll(async () => {
  await createKeys();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.use('/api/*', restguard({ apiKeys: { store }, tls: false }));
  app.get('/api/me', (c) => c.json({ ok: true }));
  // A route declared through @hono/zod-openapi: its own documentation is kept, security is added.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/notes',
      summary: 'List notes',
      middleware: [requireScopes(['read'])] as const,
      responses: {
        200: { description: 'The notes', content: { 'application/json': { schema: z.array(z.string()) } } },
      },
    }),
    (c) => c.json([], 200),
  );
  const sub = new Hono<RestguardEnv>();
  sub.post('/notes', requireScopes(['write']), (c) => c.json({ ok: true }, 201));
  sub.delete('/notes/:id', requireScopes({ all: ['read'], any: ['write', 'admin'] }), (c) =>
    c.body(null, 204),
  );
  app.route('/api', sub);
  app.onError(onError());
  doc = openApiDocument(app, {
    base: app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'notes', version: '1.0.0' } }),
    authorizationServer: {
      authorization_endpoint: 'https://idp.example/authorize',
      token_endpoint: 'https://idp.example/token',
    },
    tokens: true,
    dpop: true,
  }) as unknown as openapi.OpenApiDocument;
});

describe('Hono: the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'apiKey',
      'bearerApiKey',
      'dpop',
      'oauth2',
    ]);
  });

  it('lists exactly the scopes each route enforces, and none on an unguarded route', () => {
    expect(doc.paths['/healthz']?.get).toBeDefined();
    openapi.expectNotesRouteScopes(doc);
    expect(doc.paths['/api/notes']?.get?.summary).toBe('List notes');
    expect(doc.paths['/api/notes']?.get?.security).toContainEqual({ dpop: ['read'] });
  });

  it('answers every key the way its document says', async () => {
    const checks = await openapi.askEveryOperation(doc, keys, async (method, path, headers) => {
      const res = await app.request(path, { method, headers });
      return res.status;
    });
    for (const check of checks) expect(check.allowed, check.label).toBe(check.allowedByDoc);
    expect(checks.length).toBe(5 * 6);
  });
});
