/** Scenarios by credential: JWTs, opaque tokens, API keys, scopes and optional authentication. */
import {
  apiKey,
  bearer,
  created,
  insufficient,
  invalidApiKey,
  invalidToken,
  json,
  missing,
  notes,
  ok,
  type Scenario,
} from './shape.js';

export const credentialScenarios: readonly Scenario[] = [
  // --- JWT access tokens (RFC 9068, verified against the issuer's JWKS) ---
  {
    name: 'JWT with the read scope reads notes',
    path: '/api/notes',
    headers: (c) => bearer(c.token.read),
    expect: { status: 200, ...notes, events: ['authenticated'] },
  },
  {
    name: 'the scheme name is case-insensitive (bearer)',
    path: '/api/notes',
    headers: (c) => [['authorization', `bearer ${c.token.read}`]],
    expect: { status: 200, ...notes },
  },
  {
    name: 'JWT with read write creates a note',
    method: 'POST',
    path: '/api/notes',
    headers: (c) => [...bearer(c.token.readWrite), ...json],
    body: '{"text":"hello"}',
    expect: { status: 201, ...created },
  },
  {
    name: 'JWT principal',
    path: '/api/whoami',
    headers: (c) => bearer(c.token.read),
    expect: { status: 200, json: { subject: 'alice' } },
  },
  {
    name: 'expired JWT',
    path: '/api/notes',
    headers: (c) => bearer(c.token.expired),
    expect: {
      status: 401,
      challenge: { error: 'invalid_token' },
      problem: {
        type: 'urn:restguard:problem:invalid_token',
        title: 'Token expired',
        error: 'invalid_token',
      },
      events: ['rejected:ERR_TOKEN_EXPIRED'],
    },
  },
  {
    name: 'JWT with a bad signature (published kid, other key)',
    path: '/api/notes',
    headers: (c) => bearer(c.token.wrongKey),
    expect: { status: 401, ...invalidToken, events: ['rejected:ERR_TOKEN_INVALID'] },
  },
  {
    name: 'JWT for another audience',
    path: '/api/notes',
    headers: (c) => bearer(c.token.wrongAudience),
    expect: { status: 401, ...invalidToken },
  },
  {
    name: 'JWT with alg none',
    path: '/api/notes',
    headers: (c) => bearer(c.token.algNone),
    expect: { status: 401, ...invalidToken },
  },
  {
    name: 'JWT without the write scope',
    method: 'POST',
    path: '/api/notes',
    headers: (c) => [...bearer(c.token.read), ...json],
    body: '{"text":"hello"}',
    expect: {
      status: 403,
      ...insufficient('write'),
      events: ['authenticated', 'rejected:ERR_SCOPE_INSUFFICIENT'],
    },
  },

  // --- opaque tokens (RFC 7662 introspection) ---
  {
    name: 'opaque token, active with read',
    path: '/api/notes',
    headers: (c) => bearer(c.opaque.read),
    expect: { status: 200, ...notes },
  },
  {
    name: 'opaque token without the write scope',
    method: 'POST',
    path: '/api/notes',
    headers: (c) => [...bearer(c.opaque.read), ...json],
    body: '{"text":"hello"}',
    expect: { status: 403, ...insufficient('write') },
  },
  {
    name: 'opaque token, inactive',
    path: '/api/notes',
    headers: (c) => bearer(c.opaque.revoked),
    expect: { status: 401, ...invalidToken },
  },

  // --- API keys (core's memory store) ---
  {
    name: 'API key with read, in X-API-Key',
    path: '/api/notes',
    headers: (c) => apiKey(c.apiKey.read),
    expect: { status: 200, ...notes },
  },
  {
    name: 'API key with read, as the bearer value',
    path: '/api/notes',
    headers: (c) => bearer(c.apiKey.read),
    expect: { status: 200, ...notes },
  },
  {
    name: 'API key with read cannot write',
    method: 'POST',
    path: '/api/notes',
    headers: (c) => [...apiKey(c.apiKey.read), ...json],
    body: '{"text":"hello"}',
    expect: { status: 403, ...insufficient('write') },
  },
  {
    name: 'API key with read and write creates a note',
    method: 'POST',
    path: '/api/notes',
    headers: (c) => [...apiKey(c.apiKey.readWrite), ...json],
    body: '{"text":"hello"}',
    expect: { status: 201, ...created },
  },
  {
    name: 'revoked API key',
    path: '/api/notes',
    headers: (c) => apiKey(c.apiKey.revoked),
    expect: { status: 401, ...invalidApiKey, events: ['rejected:ERR_API_KEY_INVALID'] },
  },
  {
    name: 'malformed API key',
    path: '/api/notes',
    headers: (c) => apiKey(c.apiKey.malformed),
    expect: { status: 401, ...invalidApiKey },
  },
  {
    name: 'API key with a bad checksum',
    path: '/api/notes',
    headers: (c) => apiKey(c.apiKey.badChecksum),
    expect: { status: 401, ...invalidApiKey },
  },

  // --- a principal is immutable: one request never changes what the next one sees ---
  {
    name: 'a handler cannot change the principal of a token',
    path: '/api/tamper',
    headers: (c) => bearer(c.token.tamper),
    expect: { status: 200, json: { took: 0, scopes: ['read'] } },
  },
  {
    name: 'the next request with that token is granted what the token says, no more',
    path: '/api/any',
    headers: (c) => bearer(c.token.tamper),
    expect: { status: 403, ...insufficient('write admin') },
  },
  {
    name: 'a handler cannot change the principal of an API key (permissions, metadata, expiry)',
    path: '/api/tamper',
    headers: (c) => apiKey(c.apiKey.tamper),
    expect: { status: 200, json: { took: 0, scopes: ['read'] } },
  },
  {
    name: 'the next request with that key still works and is granted its permissions, no more',
    path: '/api/any',
    headers: (c) => apiKey(c.apiKey.tamper),
    expect: { status: 403, ...insufficient('write admin') },
  },
  {
    name: 'the key is still accepted after a handler tried to expire it',
    path: '/api/notes',
    headers: (c) => apiKey(c.apiKey.tamper),
    expect: { status: 200, ...notes },
  },

  // --- scopes: all-of and any-of ---
  {
    name: 'all-of: read and write present',
    path: '/api/all',
    headers: (c) => bearer(c.token.readWrite),
    expect: { status: 200, ...ok },
  },
  {
    name: 'all-of: write missing',
    path: '/api/all',
    headers: (c) => bearer(c.token.read),
    expect: { status: 403, ...insufficient('read write') },
  },
  {
    name: 'any-of: write present',
    path: '/api/any',
    headers: (c) => bearer(c.token.write),
    expect: { status: 200, ...ok },
  },
  {
    name: 'any-of: neither present',
    path: '/api/any',
    headers: (c) => bearer(c.token.read),
    expect: { status: 403, ...insufficient('write admin') },
  },

  // --- optional authentication ---
  {
    name: 'optional: anonymous request passes',
    profile: 'optional',
    path: '/api/whoami',
    expect: { status: 200, json: { subject: null } },
  },
  {
    name: 'optional: a valid token still authenticates',
    profile: 'optional',
    path: '/api/whoami',
    headers: (c) => bearer(c.token.read),
    expect: { status: 200, json: { subject: 'alice' } },
  },
  {
    name: 'optional: a bad token is still refused',
    profile: 'optional',
    path: '/api/whoami',
    headers: (c) => bearer(c.token.expired),
    expect: { status: 401, challenge: { error: 'invalid_token' } },
  },
  {
    name: 'optional: a route needing a credential refuses the anonymous',
    profile: 'optional',
    path: '/api/me',
    expect: { status: 401, ...missing },
  },
];
