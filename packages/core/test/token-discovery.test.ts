// Issuer discovery: OpenID Connect then RFC 8414 (well-known before the path), exact issuer match,
// HTTPS trust through the caller's fetch, failures as 503 retried after the backoff.
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, discoveryUrls } from '../src/token/index.js';
import { codeOf, verifierFor } from './token-helpers.js';

// real sockets and key generation on a shared machine: generous limits (no timed assertions)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer | undefined;
afterEach(async () => {
  await issuer?.close();
  issuer = undefined;
});

describe('discovery', () => {
  it('computes both locations for an issuer with a path', () => {
    expect(discoveryUrls('https://idp.example/realms/acme')).toEqual([
      'https://idp.example/realms/acme/.well-known/openid-configuration',
      'https://idp.example/.well-known/oauth-authorization-server/realms/acme',
    ]);
    expect(discoveryUrls('https://idp.example')[1]).toBe(
      'https://idp.example/.well-known/oauth-authorization-server',
    );
  });

  it('discovers over HTTPS an issuer with a path, trusting only the given CA', async () => {
    issuer = await createTestIssuer({ https: true, pathPrefix: '/realms/acme', algorithms: ['ES256'] });
    const token = await issuer.mint();
    const principal = await verifierFor(issuer).verify(token);
    expect(principal.issuer).toBe(issuer.url);
    expect(issuer.requests.openidConfiguration).toBe(1);
    // the global fetch does not trust the test CA: infrastructure failure, never a pass
    const untrusting = createTokenVerifier({
      issuers: [{ issuer: issuer.url, audience: issuer.audience }],
      fetching: { timeoutMs: 1000 },
    });
    expect(await codeOf(untrusting.verify(token))).toBe('ERR_UNAVAILABLE');
  });

  it('falls back to RFC 8414 metadata when OpenID discovery is absent', async () => {
    issuer = await createTestIssuer({
      pathPrefix: '/tenant/a',
      wellKnown: ['oauth-authorization-server'],
      algorithms: ['ES256'],
    });
    await expect(verifierFor(issuer).verify(await issuer.mint())).resolves.toBeTruthy();
    expect(issuer.requests.other).toBe(1); // the 404 on openid-configuration
    expect(issuer.requests.oauthAuthorizationServer).toBe(1);
  });

  it('refuses metadata whose issuer differs from the configured one (503, no keys used)', async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'] });
    issuer.setMetadata({ issuer: `${issuer.url}/` });
    let now = Date.now();
    const verifier = verifierFor(issuer, {}, { clock: () => now });
    expect(await codeOf(verifier.verify(await issuer.mint()))).toBe('ERR_UNAVAILABLE');
    expect(issuer.requests.jwks).toBe(0);
    issuer.setMetadata({});
    now += 10_000;
    await expect(verifier.verify(await issuer.mint())).resolves.toBeTruthy();
  });

  it('a discovery outage is 503 and is retried after the backoff, not cached as a failure', async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'] });
    issuer.setMode('refuse', 'discovery');
    let now = Date.now();
    const verifier = verifierFor(issuer, {}, { clock: () => now });
    const token = await issuer.mint();
    expect(await codeOf(verifier.verify(token))).toBe('ERR_UNAVAILABLE');
    issuer.setMode('ok');
    now += 9_000;
    expect(await codeOf(verifier.verify(token))).toBe('ERR_UNAVAILABLE');
    expect(issuer.requests.openidConfiguration).toBe(1); // within the backoff: no new attempt
    now += 1_000;
    await expect(verifier.verify(token)).resolves.toBeTruthy();
  });

  it('refuses http:// issuers unless allowInsecureRequests is set', () => {
    expect(() => createTokenVerifier({ issuers: [{ issuer: 'http://127.0.0.1:1', audience: 'a' }] })).toThrow(
      /https/,
    );
    expect(() =>
      createTokenVerifier({
        issuers: [{ issuer: 'https://a.example', audience: 'a', jwksUri: 'http://a.example/jwks' }],
      }),
    ).toThrow(/https/);
  });

  it('rejects invalid configurations at start-up', () => {
    expect(() => createTokenVerifier({ issuers: [] })).toThrow(/at least one/);
    const one = { issuer: 'https://a.example', audience: 'x' };
    expect(() => createTokenVerifier({ issuers: [one, one] })).toThrow(/twice/);
    expect(() => createTokenVerifier({ issuers: [{ ...one, audience: [] }] })).toThrow(/audience/);
    expect(() =>
      createTokenVerifier({ issuers: [{ ...one, jwks: { keys: [] }, jwksUri: 'https://a.example/j' }] }),
    ).toThrow(/not both/);
    const intro = { clientId: 'c', clientSecret: 's' };
    expect(() =>
      createTokenVerifier({
        issuers: [
          { ...one, introspection: intro },
          { issuer: 'https://b.example', audience: 'x', introspection: intro },
        ],
      }),
    ).toThrow(/at most one/);
  });
});
