import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors.js';
import { type AuthRequest, headersFromRaw } from '../request.js';
import { hstsHeader } from './hsts.js';
import { createTlsPolicy } from './policy.js';

function request(init: Partial<Omit<AuthRequest, 'headers'>> & { headers?: string[] } = {}): AuthRequest {
  return {
    method: 'GET',
    url: '/api/notes?page=2',
    tls: false,
    remoteAddress: '203.0.113.9',
    ...init,
    headers: headersFromRaw(init.headers ?? []),
  };
}

describe('secure()', () => {
  const policy = createTlsPolicy({ trustedProxies: ['10.0.0.0/8', '::1'] });

  it('follows the socket when no proxy is involved', () => {
    expect(policy.secure(request({ tls: true }))).toBe(true);
    expect(policy.secure(request({ tls: false }))).toBe(false);
  });

  it('ignores proxy headers from an untrusted peer (never trusted by default)', () => {
    const spoofed = ['X-Forwarded-Proto', 'https', 'Forwarded', 'for=1.2.3.4;proto=https'];
    expect(policy.secure(request({ headers: spoofed }))).toBe(false);
    expect(createTlsPolicy({}).secure(request({ remoteAddress: '127.0.0.1', headers: spoofed }))).toBe(false);
    expect(createTlsPolicy({}).secure(request({ remoteAddress: '::1', headers: spoofed }))).toBe(false);
  });

  it('honours X-Forwarded-Proto and Forwarded from a trusted proxy, IPv4-mapped peers included', () => {
    const peer = '::ffff:10.0.0.2';
    expect(policy.secure(request({ remoteAddress: peer, headers: ['X-Forwarded-Proto', 'https'] }))).toBe(
      true,
    );
    expect(
      policy.secure(request({ remoteAddress: '::1', headers: ['Forwarded', 'for=1.2.3.4;PROTO="HTTPS"'] })),
    ).toBe(true);
    expect(policy.secure(request({ remoteAddress: peer, headers: ['X-Forwarded-Proto', 'http'] }))).toBe(
      false,
    );
  });

  it('uses the right-most value, the one the trusted proxy appended', () => {
    const peer = '10.0.0.2';
    const xfp = (value: string) => request({ remoteAddress: peer, headers: ['X-Forwarded-Proto', value] });
    expect(policy.secure(xfp('https, http'))).toBe(false);
    expect(policy.secure(xfp('http, https'))).toBe(true);
    const twoLines = request({
      remoteAddress: peer,
      headers: ['X-Forwarded-Proto', 'https', 'X-Forwarded-Proto', 'http'],
    });
    expect(policy.secure(twoLines)).toBe(false);
    const forwarded = (value: string) => request({ remoteAddress: peer, headers: ['Forwarded', value] });
    expect(policy.secure(forwarded('for=1.1.1.1;proto=https, for=2.2.2.2;proto=http'))).toBe(false);
    expect(policy.secure(forwarded('for=1.1.1.1;proto=http, for="[2001:db8::1]";proto=https'))).toBe(true);
    // The right-most element says nothing about the protocol: an earlier (client-written) one is not used.
    expect(policy.secure(forwarded('for=1.1.1.1;proto=https, for=2.2.2.2'))).toBe(false);
  });

  it('fails closed when the two headers disagree, and trusts a forwarded http over a TLS socket', () => {
    const peer = '10.0.0.2';
    const both = ['X-Forwarded-Proto', 'https', 'Forwarded', 'proto=http'];
    expect(policy.secure(request({ remoteAddress: peer, headers: both }))).toBe(false);
    // A proxy re-encrypting a client's plain-HTTP request: the client's hop was not TLS.
    expect(
      policy.secure(request({ remoteAddress: peer, tls: true, headers: ['X-Forwarded-Proto', 'http'] })),
    ).toBe(false);
    expect(policy.secure(request({ remoteAddress: peer, tls: true }))).toBe(true);
  });
});

describe('insecureAnswer()', () => {
  const policy = createTlsPolicy({ publicOrigin: 'https://api.example:8443' });

  it('redirects GET and HEAD with 308 to the public origin, never to the Host header', () => {
    for (const method of ['GET', 'HEAD']) {
      const answer = policy.insecureAnswer(request({ method, headers: ['Host', 'evil.example'] }));
      expect(answer.status).toBe(308);
      expect(answer.headers.location).toBe('https://api.example:8443/api/notes?page=2');
      expect(answer.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('keeps the redirect on the public origin for tricky targets', () => {
    const location = (url: string) => policy.insecureAnswer(request({ url })).headers.location;
    expect(location('//evil.example/x')).toBe('https://api.example:8443//evil.example/x');
    expect(location('http://evil.example/p?q=1')).toBe('https://api.example:8443/p?q=1');
    expect(policy.insecureAnswer(request({ url: '*' })).status).toBe(403);
  });

  it('answers other methods with a 403 https_required problem, not a redirect', () => {
    const answer = policy.insecureAnswer(request({ method: 'POST' }));
    expect(answer.status).toBe(403);
    expect(answer.headers.location).toBeUndefined();
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 403, error: 'https_required' });
  });

  it('says in its detail how to fix a plain-HTTP refusal (HTTPS, or trustedProxies behind a proxy)', () => {
    for (const answer of [
      policy.insecureAnswer(request({ method: 'POST' })),
      policy.insecureAnswer(request({ headers: ['Authorization', 'Bearer x'] })),
    ]) {
      const { detail } = JSON.parse(answer.body) as { detail: string };
      expect(detail).toMatch(/Serve it over HTTPS/);
      expect(detail).toContain('tls.trustedProxies');
    }
  });

  it('without a public origin, refuses instead of guessing a target', () => {
    const answer = createTlsPolicy({}).insecureAnswer(request({ headers: ['Host', 'api.example'] }));
    expect(answer.status).toBe(403);
    expect(answer.headers.location).toBeUndefined();
    expect(JSON.parse(answer.body).error).toBe('https_required');
  });

  it.each([
    ['Authorization', ['Authorization', 'Bearer abc'], '/api/notes'],
    ['X-API-Key', ['X-API-Key', 'rg_live_abc'], '/api/notes'],
    ['query access_token', [], '/api/notes?access_token=abc'],
  ])('never redirects a request carrying a credential (%s)', (_name, headers, url) => {
    const answer = policy.insecureAnswer(request({ headers, url }));
    expect(answer.status).toBe(403);
    expect(answer.headers.location).toBeUndefined();
    expect(answer.body).not.toContain('abc');
  });
});

describe('options', () => {
  it('builds HSTS values (RFC 6797 §6.1)', () => {
    expect(createTlsPolicy({}).hsts).toBe('max-age=31536000; includeSubDomains');
    expect(createTlsPolicy({ hsts: false }).hsts).toBeNull();
    expect(hstsHeader({ maxAgeSeconds: 600, includeSubDomains: false })).toBe('max-age=600');
    expect(hstsHeader({ maxAgeSeconds: 63072000, preload: true })).toBe(
      'max-age=63072000; includeSubDomains; preload',
    );
  });

  it('exposes revocation as an opt-in', () => {
    expect(createTlsPolicy({}).revokeExposedApiKeys).toBe(false);
    expect(createTlsPolicy({ revokeExposedApiKeys: true }).revokeExposedApiKeys).toBe(true);
  });

  it.each([
    { publicOrigin: 'http://api.example' },
    { publicOrigin: 'https://api.example/base' },
    { publicOrigin: 'https://user:pw@api.example' },
    { publicOrigin: 'api.example' },
    { trustedProxies: ['10.0.0.0/40'] },
    { trustedProxies: '10.0.0.1' },
    { hsts: { maxAgeSeconds: -1 } },
    { hsts: { preload: true, includeSubDomains: false } },
    { hsts: { preload: true, maxAgeSeconds: 86400 } },
    { clientCertificateHeader: 'X-Client-Cert' },
    { trustedProxy: ['10.0.0.1'] },
  ])('refuses bad options at start-up: %j', (options) => {
    expect(() => createTlsPolicy(options as never)).toThrow(ConfigInvalidError);
  });
});
