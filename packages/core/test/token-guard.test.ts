// The token verifier through the guard: the README example of @restguard/testing, and the HTTP
// answers users rely on (401 invalid_token, 403 insufficient_scope, 503 with Retry-After).
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createGuard } from '../src/guard.js';

// real sockets and key generation on a shared machine: generous limits (no timed assertions)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ https: true, audience: 'https://api.example' });
}, 30_000);
afterAll(() => issuer.close());

const request = (token: string) => ({
  method: 'GET',
  url: '/api/notes',
  tls: true,
  headers: (name: string) => (name === 'authorization' ? [`Bearer ${token}`] : []),
});

it('accepts a token from the issuer and refuses a forged one (README example)', async () => {
  const guard = createGuard({
    tokens: { fetch: issuer.fetch, issuers: [{ issuer: issuer.url, audience: issuer.audience }] },
    tls: false,
  });
  const ok = await guard.decide(request(await issuer.mint({ scope: 'read' })), ['read']);
  expect(ok.allow).toBe(true);
  const forged = await guard.decide(request(await issuer.bad.wrongKey()), ['read']);
  expect(forged.allow).toBe(false);
  await guard.close();
});

it('answers 401 invalid_token, 403 insufficient_scope and 503 with Retry-After', async () => {
  const guard = createGuard({
    tokens: {
      fetch: issuer.fetch,
      issuers: [{ issuer: issuer.url, audience: issuer.audience, jwksUri: issuer.jwksUri }],
      fetching: { cooldownMs: 0, failureBackoffMs: 2000 },
    },
    tls: false,
  });
  const expired = await guard.decide(request(await issuer.mint({ exp: Math.floor(Date.now() / 1000) - 60 })));
  expect(!expired.allow && expired.answer.status).toBe(401);
  expect(!expired.allow && expired.answer.headers['www-authenticate']).toContain('error="invalid_token"');
  const readOnly = await guard.decide(request(await issuer.mint({ scope: 'read' })), ['write']);
  expect(!readOnly.allow && readOnly.answer.status).toBe(403);
  issuer.setMode('500', 'jwks');
  await issuer.rotate();
  const down = await guard.decide(request(await issuer.mint()));
  expect(!down.allow && down.answer.status).toBe(503);
  expect(!down.allow && Number(down.answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  issuer.setMode('ok');
  await guard.close();
});
