// The verified-token cache: a repeated token costs no signature check; entries end at exp; bounded.
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type SignatureVerifier, webCryptoSignatureVerifier } from '../src/token/index.js';
import { codeOf, sleep, verifierFor } from './token-helpers.js';

// real sockets and key generation on a shared machine: generous limits (no timed assertions)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
}, 30_000);
afterAll(() => issuer.close());

function counting(): SignatureVerifier & { calls: number } {
  const counter = {
    calls: 0,
    importKey: webCryptoSignatureVerifier.importKey,
    verify: (...args: Parameters<SignatureVerifier['verify']>) => {
      counter.calls++;
      return webCryptoSignatureVerifier.verify(...args);
    },
  };
  return counter;
}

describe('verified-token cache', () => {
  it('serves a repeated token without a second signature check', async () => {
    const signatures = counting();
    const verifier = verifierFor(issuer, {}, { cache: {}, signatureVerifier: signatures });
    const token = await issuer.mint();
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).toBe(first);
    expect(signatures.calls).toBe(1);
    expect(Object.isFrozen(first.claims)).toBe(true);
  });

  it('drops an entry at the token exp', async () => {
    let now = Date.now();
    const signatures = counting();
    const verifier = verifierFor(
      issuer,
      {},
      { cache: {}, signatureVerifier: signatures, clock: () => now, clockToleranceSeconds: 0 },
    );
    const token = await issuer.mint({ exp: Math.floor(now / 1000) + 30 });
    await verifier.verify(token);
    now += 29_000;
    await verifier.verify(token);
    expect(signatures.calls).toBe(1);
    now += 2_000;
    expect(await codeOf(verifier.verify(token))).toBe('ERR_TOKEN_EXPIRED');
    expect(signatures.calls).toBe(2);
  });

  it('is bounded in entries (least recently used goes first)', async () => {
    const signatures = counting();
    const verifier = verifierFor(issuer, {}, { cache: { maxEntries: 2 }, signatureVerifier: signatures });
    const [a, b, c] = await Promise.all([issuer.mint(), issuer.mint(), issuer.mint()]);
    for (const token of [a!, b!, a!, c!]) await verifier.verify(token);
    expect(signatures.calls).toBe(3); // a hit once
    await verifier.verify(a!); // still cached (recently used)
    expect(signatures.calls).toBe(3);
    await verifier.verify(b!); // evicted
    expect(signatures.calls).toBe(4);
  });

  it('is bounded in bytes and can be disabled', async () => {
    const signatures = counting();
    const tiny = verifierFor(issuer, {}, { cache: { maxBytes: 10 }, signatureVerifier: signatures });
    const token = await issuer.mint();
    await tiny.verify(token);
    await tiny.verify(token);
    expect(signatures.calls).toBe(2);
    const off = verifierFor(issuer, {}, { cache: false, signatureVerifier: signatures });
    await off.verify(token);
    await off.verify(token);
    expect(signatures.calls).toBe(4);
  });

  it('counts the principal it keeps (claims, scopes), not the token length, against maxBytes', async () => {
    // Many short scopes: each costs a few bytes of token but a Set entry and a string in the principal.
    const scope = Array.from({ length: 400 }, (_, i) => `s${i}`).join(' ');
    const many = await issuer.mint({ scope });
    const plain = await issuer.mint();
    const signatures = counting();
    // Room for three times the token's length: the old rule (length + 64) would cache it.
    const verifier = verifierFor(
      issuer,
      {},
      { cache: { maxBytes: many.length * 3 }, signatureVerifier: signatures },
    );
    await verifier.verify(many);
    await verifier.verify(many);
    expect(signatures.calls).toBe(2); // retains more than its bound: never cached
    await verifier.verify(plain);
    await verifier.verify(plain);
    expect(signatures.calls).toBe(3); // an ordinary principal fits
  });

  it('never caches a refused token', async () => {
    const signatures = counting();
    const verifier = verifierFor(issuer, {}, { cache: {}, signatureVerifier: signatures });
    const bad = await issuer.bad.wrongKey();
    expect(await codeOf(verifier.verify(bad))).toBe('ERR_TOKEN_INVALID');
    expect(await codeOf(verifier.verify(bad))).toBe('ERR_TOKEN_INVALID');
    expect(signatures.calls).toBe(2);
  });

  it('refuses tokens over maxTokenLength before any cryptography', async () => {
    const signatures = counting();
    const verifier = verifierFor(issuer, {}, { maxTokenLength: 100, signatureVerifier: signatures });
    expect(await codeOf(verifier.verify(await issuer.mint()))).toBe('ERR_TOKEN_INVALID');
    expect(signatures.calls).toBe(0);
  });
});

describe('key age', () => {
  it('refreshes keys older than maxKeyAgeMs in the background, so a withdrawn key stops working', async () => {
    const own = await createTestIssuer({ algorithms: ['ES256'] });
    try {
      const verifier = verifierFor(
        own,
        { jwksUri: own.jwksUri },
        { fetching: { maxKeyAgeMs: 100, cooldownMs: 100_000 } },
      );
      const old = await own.mint();
      await verifier.verify(old);
      await own.rotate({ alg: 'ES256', keepPrevious: false });
      await sleep(150);
      await expect(verifier.verify(old)).resolves.toBeTruthy(); // served from the old set; refresh starts
      await vi.waitFor(() => expect(own.requests.jwks).toBe(2), { timeout: 5000 });
      await vi.waitFor(async () => expect(await codeOf(verifier.verify(old))).toBe('ERR_TOKEN_INVALID'), {
        timeout: 5000,
      });
    } finally {
      await own.close();
    }
  });
});
