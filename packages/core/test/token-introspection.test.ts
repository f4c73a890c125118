// RFC 7662 introspection of opaque tokens through openid-client, against a real issuer.
import { createTestIssuer, HUGE_BODY_BYTES, type TestIssuer } from '@restguard/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntrospectionOptions } from '../src/token/index.js';
import { codeOf, verifierFor } from './token-helpers.js';

// real sockets and key generation on a shared machine: generous limits (no timed assertions)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ https: true, algorithms: ['ES256'] });
}, 30_000);
afterAll(() => issuer.close());

const now = () => Math.floor(Date.now() / 1000);
const introspecting = (extra: Partial<IntrospectionOptions> = {}, cache = false) =>
  verifierFor(issuer, { introspection: { ...issuer.client, ...extra } }, cache ? { cache: {} } : {});

describe('introspection', () => {
  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'accepts an active opaque token (%s)',
    async (method) => {
      const token = issuer.mintOpaque({ scope: 'read write', sub: 'carol' });
      const principal = await introspecting({ clientAuthentication: method }).verify(token);
      expect(principal).toMatchObject({
        kind: 'token',
        subject: 'carol',
        issuer: issuer.url,
        clientId: issuer.client.clientId,
      });
      expect([...principal.scopes].sort()).toEqual(['read', 'write']);
    },
  );

  it('refuses inactive, revoked, expired, wrong-audience, wrong-issuer and refresh tokens', async () => {
    const verifier = introspecting();
    const revoked = issuer.mintOpaque();
    issuer.revokeOpaque(revoked);
    expect(await codeOf(verifier.verify(revoked))).toBe('ERR_TOKEN_INVALID');
    expect(await codeOf(verifier.verify('unknown-opaque-token-value'))).toBe('ERR_TOKEN_INVALID');
    expect(await codeOf(verifier.verify(issuer.mintOpaque({ exp: now() - 60 })))).toBe('ERR_TOKEN_EXPIRED');
    expect(await codeOf(verifier.verify(issuer.mintOpaque({ aud: 'https://other.api' })))).toBe(
      'ERR_TOKEN_INVALID',
    );
    expect(await codeOf(verifier.verify(issuer.mintOpaque({ aud: undefined })))).toBe('ERR_TOKEN_INVALID');
    expect(await codeOf(verifier.verify(issuer.mintOpaque({ iss: 'https://evil.example' })))).toBe(
      'ERR_TOKEN_INVALID',
    );
    expect(await codeOf(verifier.verify(issuer.mintOpaque({ token_type: 'refresh_token' })))).toBe(
      'ERR_TOKEN_INVALID',
    );
    // an answer with every claim but `active: false` is refused; a non-boolean `active` is a broken server
    expect(await codeOf(verifier.verify(issuer.mintOpaque({ active: false })))).toBe('ERR_TOKEN_INVALID');
    expect(await codeOf(verifier.verify(issuer.mintOpaque({ active: 'true' })))).toBe('ERR_UNAVAILABLE');
    // opt-out for servers that omit aud
    await expect(
      introspecting({ requireAudience: false }).verify(issuer.mintOpaque({ aud: undefined })),
    ).resolves.toBeTruthy();
  });

  it('a wrong client secret or an outage is 503, never a pass', async () => {
    const token = issuer.mintOpaque();
    expect(await codeOf(introspecting({ clientSecret: 'wrong' }).verify(token))).toBe('ERR_UNAVAILABLE');
    for (const mode of ['500', 'garbage', 'refuse'] as const) {
      issuer.setMode(mode, 'introspection');
      expect(await codeOf(introspecting().verify(token))).toBe('ERR_UNAVAILABLE');
    }
    issuer.setMode('ok');
  });

  it('caches answers no longer than the configured maximum, and not past exp', async () => {
    const token = issuer.mintOpaque();
    const verifier = introspecting({ maxCacheSeconds: 60 }, true);
    issuer.resetRequests();
    await verifier.verify(token);
    await verifier.verify(token);
    expect(issuer.requests.introspection).toBe(1);
    const noCache = introspecting({ maxCacheSeconds: 0 }, true);
    await noCache.verify(token);
    await noCache.verify(token);
    expect(issuer.requests.introspection).toBe(3);
  });

  it('without introspection, a non-JWT token is invalid and nothing is called', async () => {
    issuer.resetRequests();
    expect(await codeOf(verifierFor(issuer).verify(issuer.mintOpaque()))).toBe('ERR_TOKEN_INVALID');
    expect(issuer.requests.introspection).toBe(0);
  });

  it('JWT-shaped tokens still go through local verification when introspection is configured', async () => {
    const verifier = introspecting();
    issuer.resetRequests();
    await expect(verifier.verify(await issuer.mint())).resolves.toBeTruthy();
    expect(await codeOf(verifier.verify(await issuer.bad.wrongKey()))).toBe('ERR_TOKEN_INVALID');
    expect(issuer.requests.introspection).toBe(0);
  });
});

describe('introspection answer size', () => {
  // plain HTTP and the platform fetch, which streams (issuer.fetch buffers whole bodies itself)
  let plain: TestIssuer;
  beforeAll(async () => {
    plain = await createTestIssuer({ https: false, algorithms: ['ES256'] });
  }, 30_000);
  afterAll(() => plain.close());

  it('a huge answer is refused while reading (503), not buffered whole', async () => {
    // counts the bytes the verifier actually pulls from the answers
    let read = 0;
    const counting = async (input: string, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (!res.body) return res;
      const counted = res.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            read += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      // without content-length, so the cap is enforced on the bytes read, not on the declared size
      const headers = new Headers(res.headers);
      headers.delete('content-length');
      return new Response(counted, { status: res.status, statusText: res.statusText, headers });
    };
    const verifier = verifierFor(
      plain,
      { introspection: { ...plain.client } },
      { fetch: counting, fetching: { maxResponseBytes: 64 * 1024 } },
    );
    plain.setMode('huge', 'introspection');
    try {
      expect(await codeOf(verifier.verify(plain.mintOpaque()))).toBe('ERR_UNAVAILABLE');
    } finally {
      plain.setMode('ok');
    }
    // the cap plus at most a few stream chunks in flight, far from the 50 MiB the server sends
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(HUGE_BODY_BYTES / 8);
    // an ordinary answer through the same cap still passes
    await expect(verifier.verify(plain.mintOpaque())).resolves.toMatchObject({ kind: 'token' });
  });
});
