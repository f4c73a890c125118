import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIENCE, issuerUrl, resolveOptions } from './options.js';

const base = { tls: { cert: 'x', key: 'y' }, dataDir: '/tmp/x' };

describe('issuerUrl', () => {
  it('is https://HOST:PORT without a trailing slash, brackets around IPv6', () => {
    expect(issuerUrl('127.0.0.1', 9400)).toBe('https://127.0.0.1:9400');
    expect(issuerUrl('localhost', 1)).toBe('https://localhost:1');
    expect(issuerUrl('::1', 9400)).toBe('https://[::1]:9400');
  });

  it('names loopback, not a wildcard address', () => {
    expect(issuerUrl('0.0.0.0', 9400)).toBe('https://127.0.0.1:9400');
    expect(issuerUrl('::', 9400)).toBe('https://127.0.0.1:9400');
  });

  it('takes publicUrl when it is an https origin, and refuses anything else', () => {
    expect(issuerUrl('127.0.0.1', 1, 'https://idp.localhost:8443/')).toBe('https://idp.localhost:8443');
    expect(() => issuerUrl('127.0.0.1', 1, 'http://idp.localhost')).toThrow(/publicUrl/);
    expect(() => issuerUrl('127.0.0.1', 1, 'https://idp.localhost/realm')).toThrow(/publicUrl/);
  });
});

describe('resolveOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolveOptions(base)).toMatchObject({
      host: '127.0.0.1',
      port: 9400,
      audience: DEFAULT_AUDIENCE,
      accessTokenTtlSeconds: 300,
      accessTokenAlgorithm: 'RS256',
      opaqueAudiences: [],
    });
  });

  it('throws at startup on options that would misconfigure the provider', () => {
    expect(() => resolveOptions({ ...base, port: 70000 })).toThrow(/port/);
    expect(() => resolveOptions({ ...base, accessTokenTtlSeconds: 0 })).toThrow(/accessTokenTtlSeconds/);
    expect(() => resolveOptions({ ...base, audience: 'notes' })).toThrow(/audience/);
    expect(() => resolveOptions({ ...base, audience: 'https://a.test/#x' })).toThrow(/audience/);
    expect(() => resolveOptions({ ...base, opaqueAudiences: [DEFAULT_AUDIENCE] })).toThrow(/opaqueAudiences/);
    expect(() => resolveOptions({ ...base, webClient: { redirectUris: ['http://127.0.0.1:1/cb'] } })).toThrow(
      /redirectUris/,
    );
    expect(() => resolveOptions({ ...base, dataDir: '' })).toThrow(/dataDir/);
  });
});
