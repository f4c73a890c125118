import { describe, expect, it } from 'vitest';
import { canonicalIp } from '../tls/ip.js';
import { isLocalHost, isPermitted, nameConstraintsDer, readNameConstraints } from './name-constraints.js';

describe('development CA name constraints (RFC 5280 §4.2.1.10)', () => {
  it('permits local names and addresses, and the extra hosts asked for', () => {
    const permitted = readNameConstraints(
      nameConstraintsDer(['dev.example.com', '203.0.113.7', 'localhost']),
    );
    expect(permitted.dns).toContain('dev.example.com');
    expect(permitted.dns).toContain('localhost');
    expect(permitted.ranges.map((r) => `${canonicalIp(r)}/${r.prefix}`)).toEqual(
      expect.arrayContaining([
        '127.0.0.0/8',
        '0:0:0:0:0:0:0:1/128',
        '203.0.113.7/32',
        'fc00:0:0:0:0:0:0:0/7',
      ]),
    );
    for (const host of [
      'localhost',
      'api.localhost',
      'notes.test',
      'x.dev.example.com',
      '127.0.0.2',
      '::1',
    ]) {
      expect(isPermitted(host, permitted)).toBe(true);
    }
    for (const host of [
      'example.com',
      'www.google.com',
      'evilexample.com',
      '8.8.8.8',
      '203.0.113.8',
      '2001:db8::1',
    ]) {
      expect(isPermitted(host, permitted)).toBe(false);
    }
  });

  it('tells local hosts apart', () => {
    expect(isLocalHost('192.168.1.20')).toBe(true);
    expect(isLocalHost('[::1]')).toBe(true);
    expect(isLocalHost('*.notes.localhost')).toBe(true);
    expect(isLocalHost('api.example.com')).toBe(false);
    expect(isLocalHost('1.1.1.1')).toBe(false);
  });

  it('encodes long lists with multi-byte DER lengths that read back', () => {
    const many = Array.from({ length: 40 }, (_, i) => `host-${i}.corp.example.net`);
    const permitted = readNameConstraints(nameConstraintsDer(many));
    expect(permitted.dns).toEqual(expect.arrayContaining(many));
  });
});
