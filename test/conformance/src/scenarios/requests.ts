/** Scenarios by request: every error class, TLS, the browser-login routes and the framework's own answers. */
import {
  apiKey,
  bearer,
  frameworkProblem,
  httpsRequired,
  invalidApiKey,
  invalidRequest,
  invalidToken,
  json,
  missing,
  notes,
  type Scenario,
} from './shape.js';

export const requestScenarios: readonly Scenario[] = [
  // --- every error class ---
  {
    name: 'no credential',
    path: '/api/notes',
    expect: { status: 401, ...missing, events: ['rejected:ERR_CREDENTIALS_MISSING'] },
  },
  {
    name: 'two credentials (Authorization and X-API-Key)',
    path: '/api/notes',
    headers: (c) => [...bearer(c.token.read), ...apiKey(c.apiKey.read)],
    expect: { status: 400, ...invalidRequest },
  },
  {
    name: 'two Authorization headers',
    path: '/api/notes',
    headers: (c) => [...bearer(c.token.read), ...bearer(c.token.readWrite)],
    expect: { status: 400, ...invalidRequest },
  },
  {
    name: 'a token in the query string',
    path: '/api/notes?access_token=abc',
    expect: { status: 400, ...invalidRequest },
  },
  // RFC 6750 §3.1: another scheme is no credential of ours; a malformed value is invalid_token.
  {
    name: 'an unsupported scheme (Basic) counts as no credential',
    path: '/api/notes',
    headers: () => [['authorization', 'Basic YWxpY2U6YWxpY2U=']],
    expect: { status: 401, ...missing, events: ['rejected:ERR_CREDENTIALS_MISSING'] },
  },
  {
    name: 'an unsupported scheme (Negotiate) under optional is anonymous',
    profile: 'optional',
    path: '/api/whoami',
    headers: () => [['authorization', 'Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1']],
    expect: { status: 200, json: { subject: null } },
  },
  {
    name: 'a bearer value outside the b64token alphabet is invalid_token',
    path: '/api/notes',
    headers: () => [['authorization', 'Bearer eyJ!.e30.x']],
    expect: {
      status: 401,
      ...invalidToken,
      challenge: { error: 'invalid_token', description: 'The access token is malformed.' },
      events: ['rejected:ERR_TOKEN_INVALID'],
    },
  },
  {
    name: 'an X-API-Key value outside the key alphabet is invalid_token',
    path: '/api/notes',
    headers: () => [['x-api-key', 'rg_live_not a key']],
    expect: { status: 401, ...invalidApiKey, events: ['rejected:ERR_API_KEY_INVALID'] },
  },
  {
    name: 'a JWT with too few segments is invalid_token',
    path: '/api/notes',
    headers: () => [['authorization', 'Bearer eyJhbGciOiJFUzI1NiJ9.e30']],
    expect: { status: 401, challenge: { error: 'invalid_token' } },
  },
  {
    name: 'an oversized credential is refused before any cryptography',
    path: '/api/notes',
    headers: () => bearer('a'.repeat(9000)),
    expect: { status: 400, ...invalidRequest, events: ['rejected:ERR_REQUEST_INVALID'] },
  },
  {
    name: 'JWKS unreachable and kid unknown: 503 with Retry-After',
    path: '/api/notes',
    headers: (c) => bearer(c.token.unknownKidDown),
    expect: {
      status: 503,
      challenge: null,
      problem: {
        type: 'urn:restguard:problem:temporarily_unavailable',
        title: 'Service unavailable',
        error: 'temporarily_unavailable',
      },
      headers: { 'retry-after': /^[1-9]\d*$/ },
      // the cause goes to the events (once as a warn-level fault), never to the client
      events: ['fault:connection', 'rejected:ERR_UNAVAILABLE:connection'],
    },
  },
  {
    name: 'JWKS unreachable: a token signed by a known key still verifies',
    path: '/api/notes',
    headers: (c) => bearer(c.token.readFresh),
    during: (f) => {
      f.issuer.setMode('refuse', 'jwks');
      return () => f.issuer.setMode('ok', 'jwks');
    },
    expect: { status: 200, ...notes },
  },

  // --- certificate-bound access tokens (RFC 8705 §3) ---
  {
    name: 'a certificate-bound token with its client certificate',
    path: '/api/notes',
    headers: (c) => bearer(c.token.bound),
    clientCertificate: 'bound',
    expect: { status: 200, ...notes },
  },
  {
    name: 'a certificate-bound token without a client certificate',
    path: '/api/notes',
    headers: (c) => bearer(c.token.bound),
    expect: { status: 401, challenge: { error: 'invalid_token' }, events: ['rejected:ERR_TOKEN_INVALID'] },
  },
  {
    name: 'a certificate-bound token with another client certificate',
    path: '/api/notes',
    headers: (c) => bearer(c.token.bound),
    clientCertificate: 'other',
    expect: { status: 401, challenge: { error: 'invalid_token' } },
  },

  // --- TLS everywhere ---
  {
    name: 'plain HTTP with a bearer token',
    transport: 'http',
    path: '/api/notes',
    headers: (c) => bearer(c.token.read),
    expect: { status: 403, ...httpsRequired, events: ['credential_exposed', 'rejected:ERR_HTTPS_REQUIRED'] },
  },
  {
    name: 'plain HTTP with an API key',
    transport: 'http',
    path: '/api/notes',
    headers: (c) => apiKey(c.apiKey.read),
    expect: { status: 403, ...httpsRequired },
  },
  {
    name: 'plain HTTP GET without a credential: 308 to HTTPS',
    transport: 'http',
    path: '/api/notes?page=2',
    expect: {
      status: 308,
      challenge: null,
      headers: { location: 'https://api.restguard.test/api/notes?page=2', 'strict-transport-security': null },
    },
  },
  {
    name: 'plain HTTP HEAD without a credential: 308 to HTTPS',
    transport: 'http',
    method: 'HEAD',
    path: '/api/notes',
    expect: { status: 308, challenge: null, headers: { location: 'https://api.restguard.test/api/notes' } },
  },
  {
    name: 'plain HTTP POST without a credential',
    transport: 'http',
    method: 'POST',
    path: '/api/notes',
    headers: () => json,
    body: '{"text":"hello"}',
    expect: { status: 403, ...httpsRequired },
  },

  // --- browser SSO routes, served by every adapter ---
  {
    name: 'the login route redirects to the provider (PKCE, state, nonce in a sealed cookie)',
    path: '/auth/login?returnTo=/api/notes',
    expect: {
      status: 303,
      challenge: null,
      headers: { location: /^https:\/\/127\.0\.0\.1:\d+\/authorize\?.*code_challenge_method=S256/ },
      cookies: [/^__Host-[^=]+=[^;]+;.*Path=\/.*Secure.*HttpOnly/i],
    },
  },

  {
    name: 'a GET logout without fetch metadata only shows a confirmation page (no logout CSRF)',
    path: '/auth/logout',
    expect: {
      status: 200,
      challenge: null,
      headers: { 'set-cookie': null, location: null, 'content-type': /^text\/html/ },
    },
  },
  {
    name: 'a cross-site POST logout is refused',
    method: 'POST',
    path: '/auth/logout',
    headers: () => [
      ['origin', 'https://evil.example'],
      ['accept', 'application/json'],
    ],
    expect: { status: 403, challenge: null },
  },

  {
    name: 'a callback without a pending login is refused as problem+json',
    path: '/auth/callback?code=abc&state=forged',
    headers: () => [['accept', 'application/json']],
    expect: { status: 400, challenge: null },
  },

  // --- the framework's own answers ---
  {
    name: "the framework's 404",
    path: '/api/nope',
    headers: (c) => bearer(c.token.read),
    expect: { status: 404, ...frameworkProblem('Not Found') },
  },
  { name: 'an unknown path without a credential', path: '/api/nope', expect: { status: 401, ...missing } },
  {
    name: "the framework's 405",
    method: 'PUT',
    path: '/api/notes',
    headers: (c) => [...bearer(c.token.read), ...json],
    body: '{"text":"hello"}',
    expect: { status: 405, ...frameworkProblem('Method Not Allowed') },
  },
  {
    name: 'a malformed JSON body',
    method: 'POST',
    path: '/api/notes',
    headers: (c) => [...bearer(c.token.readWrite), ...json],
    body: '{"text": tok',
    expect: { status: 400, ...frameworkProblem('Bad Request') },
  },
];
