import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { createApiKey, createMemoryApiKeyStore } from '@restguard/core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { onError, openApiDocument, type RestguardEnv, requireScopes, restguard } from '../src/index.js';

type Operation = { security?: Record<string, string[]>[]; summary?: string };
type Doc = { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: object } };

const store = createMemoryApiKeyStore();
const keys: { permissions: string[]; key: string }[] = [];
const app = new OpenAPIHono<RestguardEnv>();
let doc: Doc;

beforeAll(async () => {
  for (const permissions of [['other'], ['read'], ['read', 'write'], ['admin'], ['read', 'admin']]) {
    keys.push({ permissions, key: (await createApiKey(store, { name: 'k', permissions })).key });
  }
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
  }) as unknown as Doc;
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
    const apiKeyScopes = (op: Operation | undefined) =>
      op?.security?.filter((item) => 'apiKey' in item).map((item) => item.apiKey);
    expect(doc.paths['/healthz']?.get).toBeDefined();
    expect(doc.paths['/healthz']?.get?.security).toBeUndefined();
    expect(apiKeyScopes(doc.paths['/api/me']?.get)).toEqual([[]]);
    expect(apiKeyScopes(doc.paths['/api/notes']?.get)).toEqual([['read']]);
    expect(doc.paths['/api/notes']?.get?.summary).toBe('List notes');
    expect(doc.paths['/api/notes']?.get?.security).toContainEqual({ dpop: ['read'] });
    expect(apiKeyScopes(doc.paths['/api/notes']?.post)).toEqual([['write']]);
    expect(apiKeyScopes(doc.paths['/api/notes/{id}']?.delete)).toEqual([
      ['read', 'write'],
      ['read', 'admin'],
    ]);
  });

  it('answers every key the way its document says', async () => {
    let checks = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const credential of [undefined, ...keys]) {
          const allowedByDoc =
            op.security === undefined ||
            (credential !== undefined &&
              op.security.some(
                (alternative) =>
                  alternative.apiKey?.every((scope) => credential.permissions.includes(scope)) === true,
              ));
          const res = await app.request(path.replace('{id}', '1'), {
            method: method.toUpperCase(),
            headers: credential ? { 'x-api-key': credential.key } : {},
          });
          const label = `${method} ${path} ${credential?.permissions.join('+') ?? 'none'}`;
          expect(res.status !== 401 && res.status !== 403, label).toBe(allowedByDoc);
          checks += 1;
        }
      }
    }
    expect(checks).toBe(5 * 6);
  });
});
