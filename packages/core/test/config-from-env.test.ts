// configFromEnv(): documented variables to guard options, clear errors naming the variable, and the
// resulting guard verifying real tokens from a real issuer over HTTPS.
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { configFromEnv } from '../src/config-from-env.js';
import { ConfigInvalidError } from '../src/errors.js';
import { createGuard } from '../src/guard.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ https: true, audience: 'https://api.example' });
});
afterAll(() => issuer.close());

const request = (token?: string) => ({
  method: 'GET',
  url: '/api/notes',
  tls: true,
  headers: (name: string) => (name === 'authorization' && token ? [`Bearer ${token}`] : []),
});

it('maps every documented variable', () => {
  const options = configFromEnv({
    env: {
      RESTGUARD_ISSUER: 'https://idp.example/realms/acme',
      RESTGUARD_AUDIENCE: 'https://notes.example, https://notes2.example',
      RESTGUARD_JWKS_URI: 'https://idp.example/jwks',
      RESTGUARD_ALGORITHMS: 'ES256,RS256',
      RESTGUARD_SCOPE_CLAIM: 'permissions',
      RESTGUARD_CLOCK_TOLERANCE_SECONDS: '10',
      RESTGUARD_PUBLIC_ORIGIN: 'https://notes.example',
      RESTGUARD_TRUSTED_PROXIES: '10.0.0.0/8, ::1',
      RESTGUARD_OPTIONAL: 'true',
      RESTGUARD_REALM: 'notes',
    },
  });
  expect(options).toEqual({
    tokens: {
      issuers: [
        {
          issuer: 'https://idp.example/realms/acme',
          audience: ['https://notes.example', 'https://notes2.example'],
          jwksUri: 'https://idp.example/jwks',
          scopeClaim: 'permissions',
        },
      ],
      algorithms: ['ES256', 'RS256'],
      clockToleranceSeconds: 10,
    },
    tls: { publicOrigin: 'https://notes.example', trustedProxies: ['10.0.0.0/8', '::1'] },
    optional: true,
    realm: 'notes',
  });
});

it('reads globalThis.process.env at call time, not on import', () => {
  const saved = { ...process.env };
  try {
    process.env.RESTGUARD_ISSUER = 'https://late.example';
    process.env.RESTGUARD_AUDIENCE = 'api';
    expect(configFromEnv().tokens?.issuers[0]).toEqual({ issuer: 'https://late.example', audience: 'api' });
  } finally {
    process.env = saved;
  }
});

it.each([
  [{}, /RESTGUARD_ISSUER is required/],
  [{ RESTGUARD_ISSUER: 'https://idp.example' }, /RESTGUARD_AUDIENCE is required/],
  [{ RESTGUARD_ISSUER: 'idp.example', RESTGUARD_AUDIENCE: 'a' }, /RESTGUARD_ISSUER must be an absolute URL/],
  [{ RESTGUARD_ISSUER: 'https://i', RESTGUARD_AUDIENCE: ' , ' }, /RESTGUARD_AUDIENCE is required/],
  [
    { RESTGUARD_ISSUER: 'https://i', RESTGUARD_AUDIENCE: 'a', RESTGUARD_ALGORITHMS: 'HS256' },
    /RESTGUARD_ALGORITHMS/,
  ],
  [
    { RESTGUARD_ISSUER: 'https://i', RESTGUARD_AUDIENCE: 'a', RESTGUARD_OPTIONAL: 'yes' },
    /RESTGUARD_OPTIONAL/,
  ],
  [
    { RESTGUARD_ISSUER: 'https://i', RESTGUARD_AUDIENCE: 'a', RESTGUARD_CLOCK_TOLERANCE_SECONDS: '5s' },
    /RESTGUARD_CLOCK_TOLERANCE_SECONDS/,
  ],
  [
    {
      RESTGUARD_ISSUER: 'https://i',
      RESTGUARD_AUDIENCE: 'a',
      RESTGUARD_PUBLIC_ORIGIN: 'http://notes.example',
    },
    /RESTGUARD_PUBLIC_ORIGIN must be an https/,
  ],
])('refuses bad values with a ConfigInvalidError naming the variable (%#)', (env, message) => {
  expect(() => configFromEnv({ env })).toThrow(ConfigInvalidError);
  expect(() => configFromEnv({ env })).toThrow(message);
});

it('builds a guard that verifies tokens from the issuer', async () => {
  const options = configFromEnv({
    env: { RESTGUARD_ISSUER: issuer.url, RESTGUARD_AUDIENCE: issuer.audience },
  });
  const guard = createGuard({ ...options, tokens: { issuers: [], ...options.tokens, fetch: issuer.fetch } });
  const none = await guard.decide(request());
  expect(!none.allow && none.answer.status).toBe(401);
  expect((await guard.decide(request(await issuer.mint({ scope: 'read' })), ['read'])).allow).toBe(true);
  await guard.close();
});
