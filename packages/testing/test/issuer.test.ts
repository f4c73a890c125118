import { execFile } from 'node:child_process';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, HUGE_BODY_BYTES, type TestIssuer } from '../src/index.js';

describe('createTestIssuer over HTTPS with a path', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ https: true, pathPrefix: '/realms/acme' });
  });
  afterAll(() => issuer.close());

  it('serves OpenID discovery and RFC 8414 metadata (well-known before the path) naming itself', async () => {
    expect(issuer.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/realms\/acme$/);
    const oidc = await (await issuer.fetch(issuer.openidConfigurationUrl)).json();
    expect(oidc.issuer).toBe(issuer.url);
    expect(oidc.jwks_uri).toBe(issuer.jwksUri);
    expect(issuer.oauthMetadataUrl).toBe(
      `${issuer.origin}/.well-known/oauth-authorization-server/realms/acme`,
    );
    const oauth = await (await issuer.fetch(issuer.oauthMetadataUrl)).json();
    expect(oauth.issuer).toBe(issuer.url);
    expect(issuer.requests.openidConfiguration).toBe(1);
    expect(issuer.requests.oauthAuthorizationServer).toBe(1);
  });

  it('is trusted by a child process through NODE_EXTRA_CA_CERTS and caFile()', async () => {
    const script = `fetch(${JSON.stringify(issuer.jwksUri)}).then(async (r) => console.log(r.status, (await r.json()).keys.length), (e) => { console.log('failed', e.cause?.code); })`;
    const run = (env: Record<string, string>) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['-e', script], { env: { ...process.env, ...env } }, (err, stdout) =>
          err ? reject(err) : resolve(stdout.trim()),
        ),
      );
    expect(await run({ NODE_EXTRA_CA_CERTS: await issuer.caFile() })).toBe('200 4');
    expect(await run({})).toMatch(/^failed/);
  });

  it('is trusted only through its own CA', async () => {
    expect(issuer.caPem).toContain('BEGIN CERTIFICATE');
    await expect(fetch(issuer.jwksUri)).rejects.toThrow();
    const res = await issuer.fetch(issuer.jwksUri);
    expect(res.status).toBe(200);
  });

  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'] as const)(
    'mints RFC 9068 %s tokens verifiable with its JWKS',
    async (alg) => {
      const jwks = createLocalJWKSet(await (await issuer.fetch(issuer.jwksUri)).json());
      const token = await issuer.mint({ scope: 'read write' }, { alg });
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: issuer.url,
        audience: issuer.audience,
        typ: 'at+jwt',
      });
      expect(protectedHeader.alg).toBe(alg);
      expect(protectedHeader.kid).toBe(issuer.currentKey(alg).kid);
      for (const claim of ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'])
        expect(payload).toHaveProperty(claim);
      expect(payload.scope).toBe('read write');
    },
  );
});

describe('createTestIssuer over plain HTTP', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256', 'RS256'] });
  });
  afterAll(() => issuer.close());

  it('removes claims set to undefined and applies header overrides', async () => {
    const token = await issuer.mint(
      { exp: undefined, extra: 1 },
      { typ: null, kid: 'chosen', header: { foo: 'bar' } },
    );
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'RS256', kid: 'chosen', foo: 'bar' });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(payload.exp).toBeUndefined();
    expect(payload.extra).toBe(1);
  });

  it('rotates keys, keeping or dropping the previous one', async () => {
    const before = issuer.currentKey('ES256').kid;
    const kept = await issuer.rotate({ alg: 'ES256' });
    let kids = issuer.jwks().keys.map((key) => key.kid);
    expect(kids).toContain(before);
    expect(kids).toContain(kept.kid);
    const dropped = await issuer.rotate({ alg: 'ES256', keepPrevious: false });
    kids = issuer.jwks().keys.map((key) => key.kid);
    expect(kids).not.toContain(kept.kid);
    expect(kids).toContain(dropped.kid);
  });

  it('introspects opaque tokens for an authenticated client only (basic and post)', async () => {
    const token = issuer.mintOpaque({ scope: 'read write' });
    const { clientId, clientSecret } = issuer.client;
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    const viaBasic = await fetch(issuer.introspectionEndpoint, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(await viaBasic.json()).toMatchObject({ active: true, scope: 'read write', iss: issuer.url });
    const viaPost = await fetch(issuer.introspectionEndpoint, {
      method: 'POST',
      body: new URLSearchParams({ token, client_id: clientId, client_secret: clientSecret }),
    });
    expect((await viaPost.json()).active).toBe(true);
    const wrongSecret = await fetch(issuer.introspectionEndpoint, {
      method: 'POST',
      body: new URLSearchParams({ token, client_id: clientId, client_secret: 'nope' }),
    });
    expect(wrongSecret.status).toBe(401);
    issuer.revokeOpaque(token);
    const revoked = await fetch(issuer.introspectionEndpoint, {
      method: 'POST',
      headers: { authorization: basic },
      body: new URLSearchParams({ token }),
    });
    expect(await revoked.json()).toEqual({ active: false });
  });

  it('has outage switches and counts requests even during an outage', async () => {
    issuer.resetRequests();
    issuer.setMode('500', 'jwks');
    expect((await fetch(issuer.jwksUri)).status).toBe(500);
    issuer.setMode('garbage', 'jwks');
    await expect((await fetch(issuer.jwksUri)).json()).rejects.toThrow();
    issuer.setMode('refuse', 'jwks');
    await expect(fetch(issuer.jwksUri)).rejects.toThrow();
    issuer.setMode('hang', 'jwks');
    await expect(fetch(issuer.jwksUri, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    issuer.setMode('huge', 'jwks');
    const huge = await fetch(issuer.jwksUri);
    expect(huge.headers.get('content-length')).toBe(String(HUGE_BODY_BYTES));
    expect((await huge.arrayBuffer()).byteLength).toBe(HUGE_BODY_BYTES);
    issuer.setMode('ok');
    expect((await fetch(issuer.jwksUri)).status).toBe(200);
    expect((await fetch(issuer.openidConfigurationUrl)).status).toBe(200);
    expect(issuer.requests.jwks).toBe(6);
  });

  it('mints bad tokens that a correct verifier refuses', async () => {
    const jwks = createLocalJWKSet(issuer.jwks());
    const options = { issuer: issuer.url, audience: issuer.audience };
    const bad = [
      await issuer.bad.algNone(),
      await issuer.bad.hmacWithPublicKey(),
      await issuer.bad.strippedSignature(),
      await issuer.bad.wrongKey(),
      await issuer.bad.unknownKid(),
      await issuer.bad.headerInjection('jwk'),
      await issuer.bad.substitutedClaims({ sub: 'mallory' }),
    ];
    for (const token of bad) await expect(jwtVerify(token, jwks, options)).rejects.toThrow();
    const id = await issuer.bad.idToken();
    expect(decodeProtectedHeader(id).typ).toBe('JWT');
    await expect(jwtVerify(id, jwks, { ...options, typ: 'at+jwt' })).rejects.toThrow();
  });
});
