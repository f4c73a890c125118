// Property test over header and token parsing together: whatever Authorization / X-API-Key headers a
// client sends, authentication yields a principal or a restguard error, never another exception.
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { isRestguardError } from '../src/errors.js';
import { createGuard, type Guard } from '../src/guard.js';

// real sockets and key generation on a shared machine: generous limits (no timed assertions)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer;
let guard: Guard;
let valid: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  guard = createGuard({
    tokens: {
      issuers: [{ issuer: issuer.url, audience: issuer.audience, jwks: issuer.jwks() }],
      allowInsecureRequests: true,
    },
    tls: false,
  });
  valid = await issuer.mint();
}, 30_000);
afterAll(() => issuer.close());

const schemes = fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Basic ', '', 'Bearer');
const tokenish = () =>
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.constant(valid),
    fc.nat({ max: 400 }).map((n) => valid.slice(0, n) + valid.slice(n + 1)), // one character dropped
    fc
      .tuple(fc.nat({ max: 400 }), fc.string({ minLength: 1, maxLength: 1 }))
      .map(([n, c]) => valid.slice(0, n) + c + valid.slice(n + 1)),
  );
const headerValues = () =>
  fc.array(
    fc.tuple(schemes, tokenish()).map(([scheme, token]) => scheme + token),
    { maxLength: 3 },
  );

it('any Authorization / X-API-Key headers → principal, anonymous or a restguard error', async () => {
  await fc.assert(
    fc.asyncProperty(
      headerValues(),
      fc.array(fc.string({ maxLength: 40 }), { maxLength: 2 }),
      async (authorization, keys) => {
        const request = {
          method: 'GET',
          url: '/api/notes',
          tls: true,
          headers: (name: string) =>
            name === 'authorization' ? authorization : name === 'x-api-key' ? keys : [],
        };
        try {
          const principal = await guard.authenticate(request);
          // only the untouched valid token may pass
          expect(authorization).toHaveLength(1);
          expect(authorization[0]!.trim().endsWith(valid)).toBe(true);
          expect(principal?.subject).toBe('alice');
        } catch (err) {
          expect(isRestguardError(err)).toBe(true);
        }
        const decision = await guard.decide(request);
        if (!decision.allow) expect(decision.answer.status).toBeLessThan(500);
      },
    ),
    { numRuns: 400 },
  );
});
