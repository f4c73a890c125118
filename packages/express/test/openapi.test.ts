import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiKey, createMemoryApiKeyStore } from '@restguard/core';
import { Validator } from '@seriousme/openapi-schema-validator';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument, requireScopes, restguard, restguardErrorHandler } from '../src/index.js';

type Operation = { security?: Record<string, string[]>[] };
type Doc = { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: object } };

const store = createMemoryApiKeyStore();
const keys: { permissions: string[]; key: string }[] = [];

beforeAll(async () => {
  for (const permissions of [['other'], ['read'], ['read', 'write'], ['admin'], ['read', 'admin']]) {
    keys.push({ permissions, key: (await createApiKey(store, { name: 'k', permissions })).key });
  }
});

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
])('%s: the OpenAPI document', (_name, express) => {
  let server: Server;
  let base = '';
  let doc: Doc;

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
    }) as unknown as Doc;
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
    const apiKeyScopes = (op: Operation | undefined) =>
      op?.security?.filter((item) => 'apiKey' in item).map((item) => item.apiKey);
    expect(doc.paths['/healthz']?.get?.security).toBeUndefined();
    expect(apiKeyScopes(doc.paths['/api/me']?.get)).toEqual([[]]);
    expect(apiKeyScopes(doc.paths['/api/notes']?.get)).toEqual([['read']]);
    expect(apiKeyScopes(doc.paths['/api/notes']?.post)).toEqual([['write']]);
    expect(apiKeyScopes(doc.paths['/api/notes/{id}']?.delete)).toEqual([
      ['read', 'write'],
      ['read', 'admin'],
    ]);
    expect(doc.paths['/api/notes']?.get?.security).toContainEqual({ oauth2: ['read'] });
  });

  it('answers every key the way its document says', async () => {
    const checks: string[] = [];
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
          const res = await fetch(base + path.replace('{id}', '1'), {
            method: method.toUpperCase(),
            headers: credential ? { 'x-api-key': credential.key } : {},
          });
          const allowed = res.status !== 401 && res.status !== 403;
          checks.push(`${method} ${path} ${credential?.permissions.join('+') ?? 'none'}: ${allowed}`);
          expect(allowed, checks.at(-1)).toBe(allowedByDoc);
        }
      }
    }
    expect(checks.length).toBe(5 * 6);
  });
});
