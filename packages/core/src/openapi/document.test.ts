import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors.js';
import { buildOpenApiDocument, openApiSecuritySchemes, operationSecurity } from './document.js';
import { createRouteRegistry, openApiPath } from './registry.js';

describe('route registry', () => {
  it('records routes in OpenAPI syntax, replaces a re-recorded route and lists the scopes', () => {
    const registry = createRouteRegistry();
    registry.record('get', '/api/notes/:id', ['read']);
    registry.record('DELETE', '/api/notes/:id{[0-9]+}', { all: ['write'], any: ['admin', 'owner'] });
    registry.record('GET', '/api/notes/{id}', ['read', 'extra']);
    registry.record('GET', '/healthz', null);
    expect(registry.routes()).toEqual([
      { method: 'GET', path: '/api/notes/{id}', requirement: ['read', 'extra'] },
      { method: 'DELETE', path: '/api/notes/{id}', requirement: { all: ['write'], any: ['admin', 'owner'] } },
      { method: 'GET', path: '/healthz', requirement: null },
    ]);
    expect(registry.scopes()).toEqual(['admin', 'extra', 'owner', 'read', 'write']);
    expect(openApiPath('/a/:x?/b/:y')).toBe('/a/{x}/b/{y}');
  });

  it('refuses a malformed requirement when it is recorded', () => {
    expect(() => createRouteRegistry().record('GET', '/x', 'read write' as never)).toThrow(
      ConfigInvalidError,
    );
  });
});

describe('OpenAPI security', () => {
  it('turns all/any into alternatives per scheme', () => {
    expect(operationSecurity({ all: ['read'], any: ['write', 'admin'] }, ['oauth2', 'apiKey'])).toEqual([
      { oauth2: ['read', 'write'] },
      { apiKey: ['read', 'write'] },
      { oauth2: ['read', 'admin'] },
      { apiKey: ['read', 'admin'] },
    ]);
    expect(operationSecurity([], ['oauth2'])).toEqual([{ oauth2: [] }]);
  });

  it('builds OAuth 2.0 flows from the metadata, the API-key header and DPoP', () => {
    const schemes = openApiSecuritySchemes(
      {
        tokens: true,
        apiKeys: true,
        dpop: true,
        authorizationServer: { authorization_endpoint: 'https://idp/a', token_endpoint: 'https://idp/t' },
        scopeDescriptions: { read: 'Read notes' },
      },
      ['read', 'write'],
    );
    expect(schemes.oauth2?.flows).toEqual({
      authorizationCode: {
        authorizationUrl: 'https://idp/a',
        tokenUrl: 'https://idp/t',
        scopes: { read: 'Read notes', write: 'write' },
      },
      clientCredentials: { tokenUrl: 'https://idp/t', scopes: { read: 'Read notes', write: 'write' } },
    });
    expect(schemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(schemes.dpop).toMatchObject({ type: 'http', scheme: 'DPoP' });
    expect(Object.keys(openApiSecuritySchemes({ apiKeys: true, dpop: true }, []))).toEqual([
      'apiKey',
      'bearerApiKey',
    ]);
  });

  it('merges into a base document: security set, an unguarded route loses a stale one', () => {
    const registry = createRouteRegistry();
    registry.record('GET', '/notes', ['read']);
    registry.record('GET', '/open', null);
    const base = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/open': { get: { security: [{ apiKey: ['read'] }], responses: { 200: { description: 'ok' } } } },
      },
    };
    const doc = buildOpenApiDocument(registry, { base, apiKeys: true }) as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(doc.paths['/open']?.get?.security).toBeUndefined();
    expect(doc.paths['/notes']?.get?.security).toEqual([{ apiKey: ['read'] }, { bearerApiKey: ['read'] }]);
    expect(Object.keys(doc.paths['/notes']?.get?.responses ?? {})).toEqual(['401', '403', '503']);
    const limited = buildOpenApiDocument(registry, { apiKeys: true, rateLimited: true }) as typeof doc;
    expect(Object.keys(limited.paths['/notes']?.get?.responses ?? {})).toEqual(['401', '403', '429', '503']);
    expect(Object.keys(limited.paths['/open']?.get?.responses ?? {})).toEqual(['200']);
    expect(base.paths['/open'].get.security).toEqual([{ apiKey: ['read'] }]);
  });
});
