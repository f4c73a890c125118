// RFC 9068 / RFC 8725 rules of JWT access-token verification, against a real issuer over loopback.
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isRestguardError, toChallenge } from '../src/errors.js';
import { codeOf, verifierFor } from './token-helpers.js';

// real sockets and key generation on a shared machine: generous limits (no timed assertions)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer;
let attacker: TestIssuer;
beforeAll(async () => {
  [issuer, attacker] = await Promise.all([createTestIssuer(), createTestIssuer({ algorithms: ['RS256'] })]);
}, 30_000);
afterAll(() => Promise.all([issuer.close(), attacker.close()]));

const now = () => Math.floor(Date.now() / 1000);

describe('valid tokens', () => {
  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'] as const)(
    'accepts %s and builds a token principal',
    async (alg) => {
      const verifier = verifierFor(issuer);
      const token = await issuer.mint({ scope: 'read write', sub: 'alice', client_id: 'app' }, { alg });
      const principal = await verifier.verify(token);
      expect(principal.kind).toBe('token');
      expect(principal.subject).toBe('alice');
      expect([...principal.scopes].sort()).toEqual(['read', 'write']);
      expect(principal.issuer).toBe(issuer.url);
      expect(principal.clientId).toBe('app');
      expect(principal.claims?.sub).toBe('alice');
    },
  );

  it('accepts typ application/at+jwt and an aud array containing the audience', async () => {
    const token = await issuer.mint({ aud: ['other', issuer.audience] }, { typ: 'application/at+jwt' });
    await expect(verifierFor(issuer).verify(token)).resolves.toMatchObject({ kind: 'token' });
  });

  it('reads scp arrays and a configured scope claim', async () => {
    const scp = await verifierFor(issuer).verify(
      await issuer.mint({ scope: undefined, scp: ['read', 'admin'] }),
    );
    expect([...scp.scopes].sort()).toEqual(['admin', 'read']);
    const perms = await verifierFor(issuer, { scopeClaim: 'permissions' }).verify(
      await issuer.mint({ scope: 'ignored', permissions: ['notes:read'] }),
    );
    expect([...perms.scopes]).toEqual(['notes:read']);
  });
});

describe('RFC 8725 §2.1 algorithm attacks', () => {
  it('refuses alg none', async () => {
    expect(await codeOf(verifierFor(issuer).verify(await issuer.bad.algNone()))).toBe('ERR_TOKEN_INVALID');
  });
  it('refuses HS256 keyed with the public key', async () => {
    expect(await codeOf(verifierFor(issuer).verify(await issuer.bad.hmacWithPublicKey()))).toBe(
      'ERR_TOKEN_INVALID',
    );
  });
  it('refuses an algorithm outside the allow-list even with a valid signature', async () => {
    const token = await issuer.mint({}, { alg: 'PS256' });
    const verifier = verifierFor(issuer, {}, { algorithms: ['RS256', 'ES256'] });
    expect(await codeOf(verifier.verify(token))).toBe('ERR_TOKEN_INVALID');
  });
  it('refuses a token whose alg differs from the key it names (RS256 header, PS256 key kid)', async () => {
    const token = await issuer.mint({}, { alg: 'RS256', kid: issuer.currentKey('PS256').kid });
    expect(await codeOf(verifierFor(issuer).verify(token))).toBe('ERR_TOKEN_INVALID');
  });
  it('rejects none and HS256 in the configuration', () => {
    expect(() => verifierFor(issuer, {}, { algorithms: ['none' as 'RS256'] })).toThrow(/not supported/);
    expect(() => verifierFor(issuer, { algorithms: ['HS256' as 'RS256'] })).toThrow(/not supported/);
  });
});

describe('signature stripping, wrong keys, claim substitution', () => {
  it('refuses a stripped signature', async () => {
    expect(await codeOf(verifierFor(issuer).verify(await issuer.bad.strippedSignature()))).toBe(
      'ERR_TOKEN_INVALID',
    );
  });
  it('refuses a token signed by another key under the published kid', async () => {
    expect(await codeOf(verifierFor(issuer).verify(await issuer.bad.wrongKey()))).toBe('ERR_TOKEN_INVALID');
  });
  it('refuses a payload swapped after signing', async () => {
    const token = await issuer.bad.substitutedClaims({ sub: 'mallory', scope: 'admin' });
    expect(await codeOf(verifierFor(issuer).verify(token))).toBe('ERR_TOKEN_INVALID');
  });
  it('refuses a signature moved from another token', async () => {
    const [a, b] = [await issuer.mint({ sub: 'alice' }), await issuer.mint({ sub: 'mallory' })];
    const forged = `${b.split('.').slice(0, 2).join('.')}.${a.split('.')[2]}`;
    expect(await codeOf(verifierFor(issuer).verify(forged))).toBe('ERR_TOKEN_INVALID');
  });
});

describe('RFC 8725 §3.10 key injection through headers', () => {
  it.each(['jwk', 'x5c'] as const)('never uses a key embedded in the %s header', async (kind) => {
    expect(await codeOf(verifierFor(issuer).verify(await issuer.bad.headerInjection(kind)))).toBe(
      'ERR_TOKEN_INVALID',
    );
  });
  it.each(['jku', 'x5u'] as const)('never fetches the %s header URL', async (kind) => {
    attacker.resetRequests();
    const token = await issuer.bad.headerInjection(kind, {}, attacker.jwksUri);
    expect(await codeOf(verifierFor(issuer).verify(token))).toBe('ERR_TOKEN_INVALID');
    expect(attacker.requests.jwks).toBe(0);
  });
  it('uses only the configured key even when jku points at a JWKS that has the signing key', async () => {
    attacker.resetRequests();
    // attacker's own valid token, claiming our issuer, pointing to the attacker's JWKS
    const token = await attacker.mint({ iss: issuer.url }, { header: { jku: attacker.jwksUri } });
    expect(await codeOf(verifierFor(issuer).verify(token))).toBe('ERR_TOKEN_INVALID');
    expect(attacker.requests.jwks + attacker.requests.openidConfiguration).toBe(0);
  });
});

describe('issuer and audience (exact match)', () => {
  it('refuses an unknown iss without fetching anything from it', async () => {
    attacker.resetRequests();
    const token = await attacker.mint({ aud: issuer.audience });
    expect(await codeOf(verifierFor(issuer).verify(token))).toBe('ERR_TOKEN_INVALID');
    expect(attacker.requests.openidConfiguration + attacker.requests.jwks).toBe(0);
  });
  it('does not fold a trailing slash on iss', async () => {
    const token = await issuer.mint({ iss: `${issuer.url}/` });
    expect(await codeOf(verifierFor(issuer).verify(token))).toBe('ERR_TOKEN_INVALID');
  });
  it.each([['wrong'], [`${'https://api.restguard.test'}/`], [[]], [['a', 'b']], [42]])(
    'refuses aud %j',
    async (aud) => {
      expect(await codeOf(verifierFor(issuer).verify(await issuer.mint({ aud })))).toBe('ERR_TOKEN_INVALID');
    },
  );
});

describe('time claims', () => {
  it('requires exp', async () => {
    expect(await codeOf(verifierFor(issuer).verify(await issuer.mint({ exp: undefined })))).toBe(
      'ERR_TOKEN_INVALID',
    );
  });
  it('refuses an expired token beyond the tolerance with ERR_TOKEN_EXPIRED, accepts within it', async () => {
    expect(await codeOf(verifierFor(issuer).verify(await issuer.mint({ exp: now() - 10 })))).toBe(
      'ERR_TOKEN_EXPIRED',
    );
    await expect(verifierFor(issuer).verify(await issuer.mint({ exp: now() - 2 }))).resolves.toBeTruthy();
    const strict = verifierFor(issuer, {}, { clockToleranceSeconds: 0 });
    expect(await codeOf(strict.verify(await issuer.mint({ exp: now() - 2 })))).toBe('ERR_TOKEN_EXPIRED');
  });
  it('refuses nbf and iat in the future beyond the tolerance', async () => {
    expect(await codeOf(verifierFor(issuer).verify(await issuer.mint({ nbf: now() + 60 })))).toBe(
      'ERR_TOKEN_INVALID',
    );
    expect(await codeOf(verifierFor(issuer).verify(await issuer.mint({ iat: now() + 60 })))).toBe(
      'ERR_TOKEN_INVALID',
    );
    await expect(verifierFor(issuer).verify(await issuer.mint({ nbf: now() + 2 }))).resolves.toBeTruthy();
  });
  it('refuses non-numeric time claims', async () => {
    expect(await codeOf(verifierFor(issuer).verify(await issuer.mint({ exp: String(now() + 60) })))).toBe(
      'ERR_TOKEN_INVALID',
    );
  });
  it('enforces maxTokenAgeSeconds', async () => {
    const verifier = verifierFor(issuer, {}, { maxTokenAgeSeconds: 60 });
    expect(await codeOf(verifier.verify(await issuer.mint({ iat: now() - 120 })))).toBe('ERR_TOKEN_EXPIRED');
    await expect(verifier.verify(await issuer.mint())).resolves.toBeTruthy();
  });
});

describe('RFC 9068 typing and cross-JWT confusion', () => {
  it.each([[null], ['JWT'], ['id_token+jwt'], ['logout+jwt'], ['dpop+jwt']])(
    'strict profile refuses typ %j',
    async (typ) => {
      expect(await codeOf(verifierFor(issuer).verify(await issuer.mint({}, { typ })))).toBe(
        'ERR_TOKEN_INVALID',
      );
    },
  );
  it.each(['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'])(
    'strict profile requires %s',
    async (claim) => {
      expect(await codeOf(verifierFor(issuer).verify(await issuer.mint({ [claim]: undefined })))).toBe(
        'ERR_TOKEN_INVALID',
      );
    },
  );
  it('lenient profile accepts typ JWT or none, and a token without client_id/jti', async () => {
    const verifier = verifierFor(issuer, { profile: 'lenient' });
    await expect(
      verifier.verify(await issuer.mint({ jti: undefined, client_id: undefined }, { typ: 'JWT' })),
    ).resolves.toBeTruthy();
    await expect(verifier.verify(await issuer.mint({}, { typ: null }))).resolves.toBeTruthy();
  });
  it('refuses an ID token presented as an access token, even when the API audience is the client id', async () => {
    const id = await issuer.bad.idToken();
    const audience = [issuer.audience, issuer.client.clientId];
    expect(await codeOf(verifierFor(issuer, { audience }).verify(id))).toBe('ERR_TOKEN_INVALID');
    expect(await codeOf(verifierFor(issuer, { audience, profile: 'lenient' }).verify(id))).toBe(
      'ERR_TOKEN_INVALID',
    );
    const noNonce = await issuer.bad.idToken({ nonce: undefined });
    expect(await codeOf(verifierFor(issuer, { audience, profile: 'lenient' }).verify(noNonce))).toBe(
      'ERR_TOKEN_INVALID',
    );
    const keycloakId = await issuer.mint({ typ: 'ID', azp: undefined }, { typ: 'JWT' });
    expect(await codeOf(verifierFor(issuer, { profile: 'lenient' }).verify(keycloakId))).toBe(
      'ERR_TOKEN_INVALID',
    );
  });
  it('refuses logout tokens (events claim) in lenient mode', async () => {
    const token = await issuer.mint(
      { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } },
      { typ: 'JWT' },
    );
    expect(await codeOf(verifierFor(issuer, { profile: 'lenient' }).verify(token))).toBe('ERR_TOKEN_INVALID');
  });
});

describe('crit, kid and custom checks', () => {
  it('refuses unknown crit parameters and accepts understood ones', async () => {
    const token = await issuer.mint({}, { header: { crit: ['exp-policy'], 'exp-policy': 1 } });
    expect(await codeOf(verifierFor(issuer).verify(token))).toBe('ERR_TOKEN_INVALID');
    await expect(
      verifierFor(issuer, {}, { criticalHeaders: ['exp-policy'] }).verify(token),
    ).resolves.toBeTruthy();
  });
  it('refuses a kid-less token when several keys fit, accepts it when exactly one does', async () => {
    const single = await createTestIssuer({ algorithms: ['ES256'] });
    try {
      await expect(verifierFor(single).verify(await single.mint({}, { kid: null }))).resolves.toBeTruthy();
      await single.rotate({ alg: 'ES256' });
      expect(await codeOf(verifierFor(single).verify(await single.mint({}, { kid: null })))).toBe(
        'ERR_TOKEN_INVALID',
      );
    } finally {
      await single.close();
    }
  });
  it('runs checkClaims: false or a throw refuses, a restguard error passes through', async () => {
    const token = await issuer.mint({ tenant: 'acme' });
    const refuse = verifierFor(issuer, {}, { checkClaims: (claims) => claims.tenant === 'other' });
    expect(await codeOf(refuse.verify(token))).toBe('ERR_TOKEN_INVALID');
    const boom = verifierFor(
      issuer,
      {},
      {
        checkClaims: () => {
          throw new Error('db down: secret detail');
        },
      },
    );
    const err = await boom.verify(token).catch((e: unknown) => e);
    expect(isRestguardError(err) && err.code).toBe('ERR_TOKEN_INVALID');
    expect(toChallenge(err).body).not.toContain('secret detail');
    const accept = verifierFor(issuer, {}, { checkClaims: (claims) => claims.tenant === 'acme' });
    await expect(accept.verify(token)).resolves.toBeTruthy();
  });
  it('isRevoked runs on cache hits too: a jti deny-listed after the first request is refused on the second', async () => {
    const denied = new Set<string>();
    let calls = 0;
    const verifier = verifierFor(
      issuer,
      {},
      {
        cache: {},
        isRevoked: (claims, context) => {
          calls++;
          expect(context.issuer).toBe(issuer.url);
          return typeof claims.jti === 'string' && denied.has(claims.jti);
        },
      },
    );
    const token = await issuer.mint({ jti: 'jti-1' });
    const other = await issuer.mint({ jti: 'jti-2' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'token' });
    denied.add('jti-1');
    const err = await verifier.verify(token).catch((e: unknown) => e);
    expect(isRestguardError(err) && err.code).toBe('ERR_TOKEN_INVALID');
    expect(toChallenge(err).headers['www-authenticate']).toContain('error="invalid_token"');
    await expect(verifier.verify(other)).resolves.toMatchObject({ kind: 'token' });
    await expect(verifier.verify(other)).resolves.toMatchObject({ kind: 'token' });
    expect(calls).toBe(4); // once per request, hit or miss
    // a failing check fails closed: 503, never a pass, no detail leaked
    const boom = verifierFor(
      issuer,
      {},
      {
        isRevoked: () => {
          throw new Error('deny-list down: secret detail');
        },
      },
    );
    const down = await boom.verify(other).catch((e: unknown) => e);
    expect(isRestguardError(down) && down.code).toBe('ERR_UNAVAILABLE');
    expect(toChallenge(down).body).not.toContain('secret detail');
  });
  it('never leaks library messages or the token in the answer', async () => {
    const token = await issuer.bad.wrongKey();
    const err = await verifierFor(issuer)
      .verify(token)
      .catch((e: unknown) => e);
    const answer = toChallenge(err);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(answer.body).not.toContain(token.split('.')[1]!);
    expect(answer.body).not.toMatch(/jose|JWS|JWT[A-Z]/);
  });
});

describe('several issuers', () => {
  it('selects keys and audience per issuer, by iss only', async () => {
    const other = await createTestIssuer({ audience: 'https://other.api', algorithms: ['ES256'] });
    try {
      const verifier = verifierFor(
        issuer,
        {},
        {
          issuers: [
            { issuer: issuer.url, audience: issuer.audience },
            { issuer: other.url, audience: other.audience },
          ],
          fetch: (input, init) =>
            input.startsWith(other.origin) ? other.fetch(input, init) : issuer.fetch(input, init),
        },
      );
      expect((await verifier.verify(await issuer.mint())).issuer).toBe(issuer.url);
      expect((await verifier.verify(await other.mint({}, { alg: 'ES256' }))).issuer).toBe(other.url);
      // other's audience is not accepted for issuer, and issuer's key is not accepted for other
      expect(await codeOf(verifier.verify(await issuer.mint({ aud: other.audience })))).toBe(
        'ERR_TOKEN_INVALID',
      );
      const crossed = await issuer.mint({ iss: other.url, aud: other.audience }, { alg: 'ES256' });
      expect(await codeOf(verifier.verify(crossed))).toBe('ERR_TOKEN_INVALID');
    } finally {
      await other.close();
    }
  });
});
