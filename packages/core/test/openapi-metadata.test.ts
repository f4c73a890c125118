/** RFC 9728 `scopes_supported` fed by the route-scope registry when the option leaves it out. */
import { describe, expect, it } from 'vitest';
import { createGuard, createMemoryApiKeyStore, guardOpenApiDocument, headersFromRaw } from '../src/index.js';

const metadataRequest = {
  method: 'GET',
  url: '/.well-known/oauth-protected-resource',
  headers: headersFromRaw([]),
  tls: true,
};

describe('protected-resource metadata from the route registry', () => {
  it('lists the scopes the routes enforce, and follows routes recorded later', async () => {
    const guard = createGuard({
      apiKeys: { store: createMemoryApiKeyStore() },
      protectedResource: { resource: 'https://api.example' },
      dpop: {},
    });
    guard.routes.record('GET', '/notes', ['read']);
    const first = JSON.parse((await guard.handleAuthRoute(metadataRequest))!.body);
    expect(first.scopes_supported).toEqual(['read']);
    guard.routes.record('POST', '/notes', { any: ['write', 'admin'] });
    const second = JSON.parse((await guard.handleAuthRoute(metadataRequest))!.body);
    expect(second.scopes_supported).toEqual(['admin', 'read', 'write']);
    expect(second.resource).toBe('https://api.example');
    // the OpenAPI document of the same guard names the DPoP scheme, since the guard takes DPoP
    const doc = guardOpenApiDocument(guard, { tokens: true }) as { components: { securitySchemes: object } };
    expect(Object.keys(doc.components.securitySchemes)).toContain('dpop');
    await guard.close();
  });

  it('keeps scopes_supported as given when the option names them', async () => {
    const guard = createGuard({
      apiKeys: { store: createMemoryApiKeyStore() },
      protectedResource: { resource: 'https://api.example', scopesSupported: ['notes:read'] },
    });
    guard.routes.record('GET', '/notes', ['read']);
    const body = JSON.parse((await guard.handleAuthRoute(metadataRequest))!.body);
    expect(body.scopes_supported).toEqual(['notes:read']);
    await guard.close();
  });
});
