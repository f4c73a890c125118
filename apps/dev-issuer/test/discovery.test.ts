import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIssuer } from '../src/index.js';
import { AUDIENCE, createHarness } from './harness.js';

describe('dev issuer discovery and JWKS over HTTPS', () => {
  const harness = createHarness();
  let devIssuer: DevIssuer;

  beforeAll(async () => {
    devIssuer = await harness.start();
  });
  afterAll(() => harness.cleanup());

  it('listens on the real port of port 0, and its issuer is https://127.0.0.1:PORT', () => {
    expect(devIssuer.port).toBeGreaterThan(0);
    expect(devIssuer.issuer).toBe(`https://127.0.0.1:${devIssuer.port}`);
    expect(devIssuer.audience).toBe(AUDIENCE);
  });

  it('says at start, in one line, that it is for development and tests only', () => {
    const notices = harness.logs.filter((line) => line.includes('for development and tests only'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(devIssuer.issuer);
  });

  it('publishes OpenID Provider metadata for its features', async () => {
    const response = await harness.client.fetch(`${devIssuer.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = response.json();
    expect(metadata).toMatchObject({
      issuer: devIssuer.issuer,
      authorization_endpoint: `${devIssuer.issuer}/auth`,
      token_endpoint: devIssuer.tokenEndpoint,
      jwks_uri: devIssuer.jwksUri,
      introspection_endpoint: devIssuer.introspectionEndpoint,
      revocation_endpoint: `${devIssuer.issuer}/token/revocation`,
      end_session_endpoint: `${devIssuer.issuer}/session/end`,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'client_credentials', 'refresh_token']),
    );
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'offline_access']));
  });

  it('publishes only public signing keys, RS256 and ES256, each with a kid', async () => {
    const { keys } = (await harness.client.fetch(devIssuer.jwksUri)).json<{
      keys: Record<string, string>[];
    }>();
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of keys) {
      expect(key.use).toBe('sig');
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(secret);
    }
    expect(keys.find((key) => key.kty === 'RSA')?.n?.length).toBeGreaterThanOrEqual(342);
  });

  it('is really TLS: a client that does not trust the test CA is refused', async () => {
    const error = await new Promise<Error>((resolve) => {
      request(`${devIssuer.issuer}/.well-known/openid-configuration`, { ca: [] as string[] })
        .once('error', resolve)
        .once('response', () => resolve(new Error('connected')))
        .end();
    });
    expect((error as NodeJS.ErrnoException).code).toMatch(/VERIFY|CERT|ISSUER/);
  });

  it('answers an unknown or stale interaction with its own error page: no-store, strict CSP', async () => {
    const response = await harness.client.fetch(`${devIssuer.issuer}/interaction/unknown`);
    expect(response.status).toBe(400);
    expect(response.body).toContain('This sign-in request has expired or is not valid.');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['x-frame-options']).toBe('DENY');
  });
});
