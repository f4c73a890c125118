/**
 * RFC 9728 protected-resource metadata: the pure builder (§2 fields), the §3.1 paths and URL, and the
 * guard serving it (and pointing every 401 at it, §5.1).
 */
import { describe, expect, it } from 'vitest';
import {
  type AuthRequest,
  buildProtectedResourceMetadata,
  createGuard,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
} from '../src/index.js';

const get = (url: string, secure = true, method = 'GET'): AuthRequest => ({
  method,
  url,
  tls: secure,
  headers: () => [],
});

describe('buildProtectedResourceMetadata', () => {
  it('carries RFC 9728 §2 fields from plain input, leaving absent ones out', () => {
    expect(
      buildProtectedResourceMetadata({
        resource: 'https://api.example',
        authorizationServers: ['https://idp.example'],
        scopesSupported: ['read', 'write'],
        dpopSigningAlgValuesSupported: ['ES256'],
        dpopBoundAccessTokensRequired: true,
        resourceSigningAlgValuesSupported: ['ES256'],
        resourceName: 'Notes',
        resourceDocumentation: 'https://api.example/docs',
      }),
    ).toEqual({
      resource: 'https://api.example',
      authorization_servers: ['https://idp.example'],
      scopes_supported: ['read', 'write'],
      bearer_methods_supported: ['header'],
      resource_signing_alg_values_supported: ['ES256'],
      resource_name: 'Notes',
      resource_documentation: 'https://api.example/docs',
      dpop_signing_alg_values_supported: ['ES256'],
      dpop_bound_access_tokens_required: true,
    });
  });

  it('refuses a resource that is not an https URL without query or fragment', () => {
    for (const resource of [
      'http://api.example',
      'https://api.example/#x',
      'https://api.example/?a=1',
      'nope',
    ]) {
      expect(() => buildProtectedResourceMetadata({ resource })).toThrow(/resource/);
    }
  });

  it('inserts the well-known suffix before the resource path (§3.1)', () => {
    expect(protectedResourceMetadataPaths('https://api.example')).toEqual([
      '/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataPaths('https://api.example/v1/notes')).toEqual([
      '/.well-known/oauth-protected-resource/v1/notes',
      '/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataUrl('https://api.example/v1')).toBe(
      'https://api.example/.well-known/oauth-protected-resource/v1',
    );
  });
});

describe('the guard serves it', () => {
  const guard = createGuard({
    tokens: { issuers: [{ issuer: 'https://idp.example', audience: 'https://api.example/v1' }] },
    dpop: { policy: 'required', algorithms: ['ES256'] },
    protectedResource: { resource: 'https://api.example/v1', scopesSupported: ['read'] },
  });

  it('at both paths, filled from the configuration', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource/v1',
      '/.well-known/oauth-protected-resource',
    ]) {
      const answer = await guard.handleAuthRoute(get(path));
      expect(answer?.status).toBe(200);
      expect(answer?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(answer!.body)).toEqual({
        resource: 'https://api.example/v1',
        authorization_servers: ['https://idp.example'],
        scopes_supported: ['read'],
        bearer_methods_supported: ['header'],
        dpop_signing_alg_values_supported: ['ES256'],
        dpop_bound_access_tokens_required: true,
      });
    }
    expect(await guard.handleAuthRoute(get('/.well-known/oauth-protected-resource/v2'))).toBeNull();
    expect(
      await guard.handleAuthRoute(get('/.well-known/oauth-protected-resource', true, 'POST')),
    ).toBeNull();
    expect(await guard.handleAuthRoute(get('/.well-known/oauth-protected-resource', false))).toBeNull();
  });

  it('and every 401 points at it with resource_metadata (§5.1)', async () => {
    const decision = await guard.decide(get('/api/notes'));
    expect(decision.allow).toBe(false);
    if (!decision.allow) {
      expect(decision.answer.headers['www-authenticate']).toBe(
        'Bearer realm="restguard", resource_metadata="https://api.example/.well-known/oauth-protected-resource/v1", DPoP algs="ES256"',
      );
    }
  });
});
