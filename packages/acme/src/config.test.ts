import { ConfigInvalidError } from '@restguard/core';
import { describe, expect, it } from 'vitest';
import { type AcmeOptions, checkDomain, resolveAcmeOptions } from './config.js';

const base: AcmeOptions = {
  directoryUrl: 'https://acme.example/dir',
  domains: ['api.example.com'],
  termsOfServiceAgreed: true,
  directory: '/tmp/acme',
};

describe('resolveAcmeOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveAcmeOptions(base)).toMatchObject({
      challenge: 'http-01',
      renewAtFraction: 2 / 3,
      renewJitterFraction: 0.05,
      retryMinMs: 60_000,
      retryMaxMs: 3_600_000,
      domains: ['api.example.com'],
    });
  });

  it.each([
    [{ termsOfServiceAgreed: false }, /termsOfServiceAgreed must be true/],
    [{ directoryUrl: 'http://acme.example/dir' }, /https: URL/],
    [{ directoryUrl: 'not a url' }, /directoryUrl/],
    [{ domains: [] }, /at least one DNS name/],
    [{ domains: ['192.0.2.1'] }, /is an IP address/],
    [{ domains: ['[2001:db8::1]'] }, /is an IP address/],
    [{ domains: ['*.example.com'] }, /wildcard, which needs DNS-01/],
    [{ domains: ['localhost'] }, /not a valid fully qualified DNS name/],
    [{ domains: ['bad_name.example.com'] }, /not a valid fully qualified DNS name/],
    [{ domains: ['-a.example.com'] }, /not a valid fully qualified DNS name/],
    [{ domains: ['host.123'] }, /numeric top-level label/],
    [{ challenge: 'dns-01' as never }, /challenge must be/],
    [{ email: 'not-an-address' }, /email must be/],
    [{ renewAtFraction: 1 }, /renewAtFraction/],
    [{ renewAtFraction: 0.1, renewJitterFraction: 0.2 }, /must not exceed/],
    [{ retry: { minMs: 0 } }, /retry.minMs/],
    [{ directory: '' }, /directory must be/],
  ])('refuses %j', (change, message) => {
    expect(() => resolveAcmeOptions({ ...base, ...change })).toThrow(ConfigInvalidError);
    expect(() => resolveAcmeOptions({ ...base, ...change })).toThrow(message);
  });

  it('lower-cases names, drops a trailing dot and duplicates', () => {
    expect(checkDomain('API.Example.COM.')).toBe('api.example.com');
    expect(resolveAcmeOptions({ ...base, domains: ['a.example.com', 'A.example.com'] }).domains).toEqual([
      'a.example.com',
    ]);
  });
});
