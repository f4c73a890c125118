// JWKS client contract: single flight, cooldown, timeout, stale keys during an outage, backoff, key filtering.
import { createTestIssuer, encodeJws, type TestIssuer } from '@restguard/testing';
import { exportJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnavailableError } from '../src/errors.js';
import { codeOf, verifierFor } from './token-helpers.js';

// real sockets and key generation on a shared machine: generous limits (no timed assertions)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer;
beforeEach(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256', 'RS256'], defaultAlgorithm: 'ES256' });
});
afterEach(() => issuer.close());

const epoch = () => Math.floor(Date.now() / 1000);
/**
 * A manual clock drives the cooldown and backoff (defaults: 30 s and 10 s), so no assertion depends
 * on how fast this machine is; only the fetch timeout (500 ms for `hang`) runs on real time.
 */
let now = Date.now();
const clock = () => now;
const advance = (ms: number) => {
  now += ms;
};
beforeEach(() => {
  now = Date.now();
});
const fast = { timeoutMs: 500 };

describe('single flight and cooldown', () => {
  it('500 simultaneous requests with an unknown kid cause exactly one JWKS fetch', async () => {
    const verifier = verifierFor(issuer, { jwksUri: issuer.jwksUri }, { fetching: fast, clock });
    await verifier.verify(await issuer.mint());
    expect(issuer.requests.jwks).toBe(1);
    advance(30_000); // past the cooldown: an unknown kid may refetch once
    await issuer.rotate({ alg: 'ES256' });
    issuer.setLatency(50, 'jwks');
    const token = await issuer.mint();
    const results = await Promise.all(Array.from({ length: 500 }, () => verifier.verify(token)));
    expect(results.every((p) => p.kind === 'token')).toBe(true);
    expect(issuer.requests.jwks).toBe(2);
  });

  it('500 simultaneous first requests cause one discovery and one JWKS fetch', async () => {
    const verifier = verifierFor(issuer);
    issuer.setLatency(50);
    const token = await issuer.mint();
    await Promise.all(Array.from({ length: 500 }, () => verifier.verify(token)));
    expect(issuer.requests.openidConfiguration).toBe(1);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('an unknown kid within the cooldown is invalid without a fetch; after it, one refetch', async () => {
    const verifier = verifierFor(issuer, { jwksUri: issuer.jwksUri }, { fetching: fast, clock });
    await verifier.verify(await issuer.mint());
    const unknown = await issuer.bad.unknownKid();
    for (let i = 0; i < 5; i++) expect(await codeOf(verifier.verify(unknown))).toBe('ERR_TOKEN_INVALID');
    expect(issuer.requests.jwks).toBe(1);
    advance(30_000);
    for (let i = 0; i < 5; i++) expect(await codeOf(verifier.verify(unknown))).toBe('ERR_TOKEN_INVALID');
    expect(issuer.requests.jwks).toBe(2);
  });

  it('a rotated key is picked up once the cooldown has passed', async () => {
    const verifier = verifierFor(issuer, { jwksUri: issuer.jwksUri }, { fetching: fast, clock });
    await verifier.verify(await issuer.mint());
    await issuer.rotate({ alg: 'ES256', keepPrevious: false });
    const fresh = await issuer.mint();
    expect(await codeOf(verifier.verify(fresh))).toBe('ERR_TOKEN_INVALID');
    advance(30_000);
    await expect(verifier.verify(fresh)).resolves.toBeTruthy();
  });
});

describe('outages', () => {
  it.each(['refuse', '500', 'hang', 'garbage'] as const)(
    'JWKS %s: cached keys keep working, unknown kid → 503, recovery after backoff',
    async (mode) => {
      const verifier = verifierFor(issuer, { jwksUri: issuer.jwksUri }, { fetching: fast, clock });
      const known = await issuer.mint();
      await verifier.verify(known);
      advance(30_000);
      issuer.setMode(mode, 'jwks');
      await issuer.rotate({ alg: 'ES256' });
      const fresh = await issuer.mint();
      const err = await verifier.verify(fresh).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      // keys fetched before the outage keep working
      await expect(verifier.verify(known)).resolves.toBeTruthy();
      await expect(
        verifier.verify(await issuer.mint({ sub: 'bob' }, { alg: 'RS256' })),
      ).resolves.toBeTruthy();
      // during the backoff no new fetch is attempted
      const before = issuer.requests.jwks;
      expect(await codeOf(verifier.verify(fresh))).toBe('ERR_UNAVAILABLE');
      expect(issuer.requests.jwks).toBe(before);
      // back up: still 503 until the 10 s backoff has passed, then the new key is accepted (≤ 20 s)
      issuer.setMode('ok', 'jwks');
      advance(9_000);
      expect(await codeOf(verifier.verify(fresh))).toBe('ERR_UNAVAILABLE');
      expect(issuer.requests.jwks).toBe(before);
      advance(1_000);
      await expect(verifier.verify(fresh)).resolves.toBeTruthy();
    },
  );

  it('a JWKS that is down from the start gives 503, then works once it is back', async () => {
    issuer.setMode('500', 'jwks');
    const verifier = verifierFor(issuer, {}, { fetching: fast, clock });
    const token = await issuer.mint();
    expect(await codeOf(verifier.verify(token))).toBe('ERR_UNAVAILABLE');
    issuer.setMode('ok', 'jwks');
    advance(30_000);
    await expect(verifier.verify(token)).resolves.toBeTruthy();
  });

  it('refuses a failure backoff above 15 s at start-up (a new key must get in within 20 s)', () => {
    expect(() => verifierFor(issuer, {}, { fetching: { failureBackoffMs: 16_000 } })).toThrow(
      /at most 15000/,
    );
  });
});

describe('key filtering', () => {
  it('never uses oct, use:enc, small RSA, or keys whose alg differs from the token', async () => {
    const rsa = issuer.currentKey('RS256');
    const { publicJwk } = rsa;
    const tokenFor = (kid: string) => issuer.mint({}, { alg: 'RS256', kid });
    issuer.setExtraKeys([
      { kty: 'oct', k: 'c2VjcmV0', kid: 'oct' },
      { ...publicJwk, kid: 'enc', use: 'enc' },
      { ...publicJwk, kid: 'ps', alg: 'PS256' },
      { ...publicJwk, kid: 'ops', key_ops: ['encrypt'] },
    ]);
    const verifier = verifierFor(issuer, { jwksUri: issuer.jwksUri });
    for (const kid of ['enc', 'ps', 'ops'])
      expect(await codeOf(verifier.verify(await tokenFor(kid)))).toBe('ERR_TOKEN_INVALID');
    await expect(verifier.verify(await tokenFor(rsa.kid))).resolves.toBeTruthy();
    // the same public key without the bad markers is usable: the markers alone made the difference
    issuer.setExtraKeys([{ ...publicJwk, kid: 'plain', use: undefined, alg: undefined }]);
    const fresh = verifierFor(issuer, { jwksUri: issuer.jwksUri });
    await expect(fresh.verify(await tokenFor('plain'))).resolves.toBeTruthy();
  });

  it('never uses an RSA key under 2048 bits', async () => {
    // jose refuses to make or use such keys, so sign with Web Crypto directly
    const rsaToken = async (bits: number) => {
      const algorithm = {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: bits,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      };
      const pair = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: `rsa${bits}` };
      const unsigned = encodeJws(
        { alg: 'RS256', typ: 'at+jwt', kid: jwk.kid },
        {
          iss: issuer.url,
          aud: issuer.audience,
          sub: 's',
          client_id: 'c',
          iat: epoch(),
          exp: epoch() + 60,
          jti: 'j',
        },
        '',
      );
      const input = new TextEncoder().encode(unsigned.slice(0, -1));
      const signature = Buffer.from(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey, input));
      return { token: `${unsigned}${signature.toString('base64url')}`, jwk };
    };
    const small = await rsaToken(1024);
    expect(await codeOf(verifierFor(issuer, { jwks: { keys: [small.jwk] } }).verify(small.token))).toBe(
      'ERR_TOKEN_INVALID',
    );
    const big = await rsaToken(2048);
    await expect(verifierFor(issuer, { jwks: { keys: [big.jwk] } }).verify(big.token)).resolves.toBeTruthy();
  });

  it('a static key set is never fetched', async () => {
    const verifier = verifierFor(issuer, { jwks: issuer.jwks() });
    await expect(verifier.verify(await issuer.mint())).resolves.toBeTruthy();
    expect(await codeOf(verifier.verify(await issuer.bad.unknownKid()))).toBe('ERR_TOKEN_INVALID');
    expect(issuer.requests.jwks + issuer.requests.openidConfiguration).toBe(0);
  });
});
