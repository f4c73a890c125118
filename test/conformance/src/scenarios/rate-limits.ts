/**
 * Per-credential rate limits: an API key's own limit (one request per hour) and the default per token
 * subject. 429 (RFC 6585 §4) with `Retry-After` and the IETF `RateLimit` / `RateLimit-Policy` headers,
 * problem+json, never a challenge. The two API-key scenarios run in this order: the first spends the budget.
 */
import { apiKey, bearer, notes, type Scenario } from './shape.js';

export const rateLimitScenarios: readonly Scenario[] = [
  {
    name: 'an API key within its own rate limit gets the RateLimit headers',
    path: '/api/notes',
    headers: (c) => apiKey(c.apiKey.limited),
    expect: {
      status: 200,
      ...notes,
      headers: {
        'ratelimit-policy': '"api-key";q=1;w=3600',
        ratelimit: /^"api-key";r=0;t=\d+$/,
        'retry-after': null,
      },
      events: ['authenticated'],
    },
  },
  {
    name: 'an API key over its rate limit: 429 with Retry-After and RateLimit headers, never 401',
    path: '/api/notes',
    headers: (c) => apiKey(c.apiKey.limited),
    expect: {
      status: 429,
      challenge: null,
      problem: {
        type: 'urn:restguard:problem:rate_limited',
        title: 'Too many requests',
        status: 429,
        error: 'rate_limited',
      },
      headers: {
        'retry-after': /^\d+$/,
        'ratelimit-policy': '"api-key";q=1;w=3600',
        ratelimit: /^"api-key";r=0;t=\d+$/,
      },
      events: ['authenticated', 'rejected:ERR_RATE_LIMITED'],
    },
  },
  {
    name: 'a token is counted under the default policy, per subject',
    path: '/api/notes',
    headers: (c) => bearer(c.token.read),
    expect: {
      status: 200,
      ...notes,
      headers: { 'ratelimit-policy': '"default";q=1000;w=60', ratelimit: /^"default";r=\d+;t=\d+$/ },
    },
  },
];
