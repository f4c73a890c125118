// A session's scopes come from the token verifier's own rules: one access token carries the same scopes
// as a bearer and inside a session (scopeClaim honoured, no unverified decode, no fall-back to the
// scopes the app asked for).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGuard, type Guard } from '../guard.js';
import { Jar, login, ORIGIN, req, SECRET } from './__fixtures__/harness.js';
import { startTestProvider, type TestProvider } from './__fixtures__/provider.js';
import type { SessionManager } from './index.js';

let provider: TestProvider;
beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(() => provider.close());
beforeEach(() => {
  provider.behaviour.accessClaims = undefined;
  provider.behaviour.user = 'alice';
});

function guardFor(audience = 'https://api.test'): Guard {
  return createGuard({
    tokens: {
      issuers: [{ issuer: provider.issuer, audience, scopeClaim: 'permissions' }],
      allowInsecureRequests: true,
    },
    sessions: {
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      baseUrl: ORIGIN,
      secrets: [SECRET],
      scopes: ['offline_access', 'read', 'write'],
      resource: 'https://api.test',
      allowInsecureRequests: true,
    },
    tls: false,
  });
}

/** The guard's login routes, driven like a session manager. */
const routes = (guard: Guard) =>
  ({ handle: (request) => guard.handleAuthRoute(request) }) as Pick<
    SessionManager,
    'handle'
  > as SessionManager;

describe('session scopes follow the token verifier', () => {
  it('honours scopeClaim: the session has the scopes the same token has as a bearer', async () => {
    provider.behaviour.accessClaims = { permissions: ['notes:read'] };
    const guard = guardFor();
    const jar = new Jar();
    expect((await login(routes(guard), provider, jar)).status).toBe(303);
    const session = await guard.authenticate(req('GET', '/api/notes', jar));
    expect(session?.kind).toBe('session');
    expect([...session!.scopes]).toEqual(['notes:read']);
    await guard.close();
  });

  it('an access token the verifier refuses (another audience) gives the session no scopes', async () => {
    const guard = guardFor('https://other.test');
    const jar = new Jar();
    expect((await login(routes(guard), provider, jar)).status).toBe(303);
    const session = await guard.authenticate(req('GET', '/api/notes', jar));
    expect(session?.kind).toBe('session');
    expect([...session!.scopes]).toEqual([]);
    await guard.close();
  });
});
