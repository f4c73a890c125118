import { describe, expect, it } from 'vitest';
import { createMemoryApiKeyStore } from './api-key/memory-store.js';
import { createMemoryClientCertificateStore } from './client-certificate/store.js';
import { createGuard } from './guard.js';
import { refuseUnknownOptions } from './options-check.js';

const jwks = { keys: [] };
const tokens = { issuers: [{ issuer: 'https://idp.example', audience: 'https://api.example', jwks }] };

describe('unknown option keys are refused at start-up', () => {
  it('createGuard({ events }) — a typo for onEvent — throws, naming the fix', () => {
    const build = () => createGuard({ tokens, events: () => {} } as never);
    expect(build).toThrow(/createGuard: unknown option "events" \(did you mean "onEvent"\?\)/);
    expect(build).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('in tokens and in each trusted issuer too', () => {
    expect(() => createGuard({ tokens: { ...tokens, clockTolerance: 5 } as never })).toThrow(
      /tokens: unknown option "clockTolerance" \(did you mean "clockToleranceSeconds"\?\)/,
    );
    expect(() =>
      createGuard({ tokens: { issuers: [{ ...tokens.issuers[0]!, audiences: ['x'] }] } as never }),
    ).toThrow(/tokens.issuers\[0\]: unknown option "audiences" \(did you mean "audience"\?\)/);
  });

  it('accepts every documented option', () => {
    expect(() =>
      createGuard({
        tokens: { ...tokens, isRevoked: () => false, cache: false },
        optional: true,
        realm: 'api',
        onEvent: () => {},
        maxCredentialLength: 4096,
        tls: false,
      }),
    ).not.toThrow();
    expect(() => refuseUnknownOptions({ zzz: 1 }, ['onEvent'], 'x')).toThrow(/unknown option "zzz"\. Known/);
  });
});

/** `value` with the key `from` renamed `to` wherever it occurs in a plain object or array. */
function renamed(value: unknown, from: string, to: string): unknown {
  if (Array.isArray(value)) return value.map((item) => renamed(item, from, to));
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key === from ? to : key, renamed(item, from, to)]),
  );
}

describe('unknown keys are refused in every nested options object too', () => {
  const store = createMemoryApiKeyStore();
  const sessions = {
    issuer: 'https://idp.example',
    clientId: 'web',
    baseUrl: 'https://app.example',
    secrets: ['a'.repeat(32)],
  };
  const backend = { consume: async () => ({ allowed: true, remaining: 1, resetSeconds: 1 }) } as never;
  const issuer = tokens.issuers[0]!;
  const introspection = { clientId: 'api', clientSecret: 'secret' };
  // [where, options with one misspelt key, the typo, the hint]
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      'apiKeys',
      { apiKeys: { store, lastUsedFlushSecond: 30 } },
      'lastUsedFlushSecond',
      'lastUsedFlushSeconds',
    ],
    ['apiKeys.cache', { apiKeys: { store, cache: { maxEntry: 5 } } }, 'maxEntry', 'maxEntries'],
    ['sessions', { sessions: { ...sessions, cookie: '__Host-app' } }, 'cookie', 'cookieName'],
    ['sessions.paths', { sessions: { ...sessions, paths: { logins: '/in' } } }, 'logins', 'login'],
    [
      'clientCertificates',
      { clientCertificates: { storee: createMemoryClientCertificateStore() } },
      'storee',
      'store',
    ],
    ['tls', { tokens, tls: { trustedProxy: ['10.0.0.1'] } }, 'trustedProxy', 'trustedProxies'],
    ['tls.hsts', { tokens, tls: { hsts: { maxAge: 60 } } }, 'maxAge', 'maxAgeSeconds'],
    ['rateLimit', { tokens, rateLimit: { backend, defaults: '10/min' } }, 'defaults', 'default'],
    [
      'rateLimit.default',
      { tokens, rateLimit: { backend, default: { points: 10, windowSecond: 60 } } },
      'windowSecond',
      'windowSeconds',
    ],
    ['dpop', { tokens, dpop: { maxAge: 60 } }, 'maxAge', 'maxAgeSeconds'],
    [
      'dpop.nonce',
      { tokens, dpop: { nonce: { secret: 's'.repeat(32), rotateSecond: 60 } } },
      'rotateSecond',
      'rotateSeconds',
    ],
    [
      'protectedResource',
      { tokens, protectedResource: { resource: 'https://api.example', scopes: ['read'] } },
      'scopes',
      'scopesSupported',
    ],
    ['tokens.cache', { tokens: { ...tokens, cache: { maxEntry: 5 } } }, 'maxEntry', 'maxEntries'],
    ['tokens.fetching', { tokens: { ...tokens, fetching: { timeout: 5 } } }, 'timeout', 'timeoutMs'],
    [
      'tokens.issuers[0].introspection',
      {
        tokens: {
          issuers: [
            {
              ...issuer,
              jwks: undefined,
              introspection: { ...introspection, endpoints: 'https://idp.example/introspect' },
            },
          ],
        },
      },
      'endpoints',
      'endpoint',
    ],
  ];

  it.each(cases)('%s', (where, options, typo, hint) => {
    const build = () => createGuard(options as never);
    const escaped = where.replace(/[[\].]/g, '\\$&');
    expect(build).toThrow(
      new RegExp(`^${escaped}: unknown option "${typo}" \\(did you mean "${hint}"\\?\\)`),
    );
    expect(build).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    // the same options with the hint taken are accepted: only the unknown key was refused
    expect(() => createGuard(renamed(options, typo, hint) as never)).not.toThrow();
  });

  it('accepts every documented nested option', () => {
    expect(() =>
      createGuard({
        tokens: {
          ...tokens,
          cache: { maxEntries: 10, maxBytes: 1 << 20 },
          fetching: {
            timeoutMs: 1000,
            cooldownMs: 1000,
            failureBackoffMs: 1000,
            maxKeyAgeMs: 1000,
            maxResponseBytes: 1000,
          },
        },
        apiKeys: { store, prefix: 'rg_live', cache: { maxEntries: 5, ttlSeconds: 5, negativeTtlSeconds: 5 } },
        sessions: {
          ...sessions,
          paths: { login: '/in', callback: '/cb', logout: '/out', backchannelLogout: false },
        },
        clientCertificates: { store: createMemoryClientCertificateStore() },
        tls: { trustedProxies: ['10.0.0.1'], hsts: { maxAgeSeconds: 60, includeSubDomains: true } },
        rateLimit: {
          backend,
          default: { points: 10, windowSeconds: 60 },
          by: 'client',
          onStoreError: 'deny',
        },
        dpop: { maxAgeSeconds: 60, nonce: { secret: 's'.repeat(32), rotateSeconds: 60 } },
        protectedResource: { resource: 'https://api.example', scopesSupported: ['read'] },
      }),
    ).not.toThrow();
  });
});
