import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../errors.js';
import { canonicalIp, createAddressMatcher, parseCidr, parseIp } from './ip.js';

describe('parseIp', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['[::1]', '0:0:0:0:0:0:0:1'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['2001:DB8::8:800:200C:417A', '2001:db8:0:0:8:800:200c:417a'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::FFFF:0a01:0203', '10.1.2.3'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0:0:0:c000:221'],
  ])('parses %s', (text, canonical) => {
    const address = parseIp(text);
    expect(address).not.toBeNull();
    expect(canonicalIp(address!)).toBe(canonical);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '1:2:3:4:5:6:7::8',
    '12345::1',
    'localhost',
    '::ffff:1.2.3.256',
  ])('refuses %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });
});

describe('createAddressMatcher', () => {
  const matches = createAddressMatcher([
    '10.0.0.0/8',
    '192.168.1.7',
    '2001:db8::/32',
    '::1',
    '::ffff:172.16.0.0/108',
  ]);

  it('matches addresses inside the ranges, IPv4-mapped forms included', () => {
    expect(matches('10.255.0.1')).toBe(true);
    expect(matches('::ffff:10.0.0.9')).toBe(true);
    expect(matches('192.168.1.7')).toBe(true);
    expect(matches('2001:db8:ffff::1')).toBe(true);
    expect(matches('::1')).toBe(true);
    expect(matches('172.31.255.255')).toBe(true);
  });

  it('does not match anything else', () => {
    expect(matches('11.0.0.1')).toBe(false);
    expect(matches('192.168.1.8')).toBe(false);
    expect(matches('2001:db9::1')).toBe(false);
    expect(matches('127.0.0.1')).toBe(false);
    expect(matches('172.32.0.0')).toBe(false);
    expect(matches(undefined)).toBe(false);
    expect(matches('not-an-ip')).toBe(false);
  });

  it('trusts nobody with an empty list', () => {
    const none = createAddressMatcher([]);
    expect(none('127.0.0.1')).toBe(false);
    expect(none('::1')).toBe(false);
  });

  it('masks host bits and supports /0', () => {
    expect(parseCidr('10.1.2.3/8')?.bytes).toEqual(new Uint8Array([10, 0, 0, 0]));
    expect(createAddressMatcher(['0.0.0.0/0'])('8.8.8.8')).toBe(true);
    expect(createAddressMatcher(['0.0.0.0/0'])('::2')).toBe(false);
    expect(createAddressMatcher(['10.0.0.0/9'])('10.127.0.1')).toBe(true);
    expect(createAddressMatcher(['10.0.0.0/9'])('10.128.0.1')).toBe(false);
  });

  it.each(['10.0.0.0/33', '::/129', 'example.com', '10.0.0.0/', '10.0.0.0/08', '::ffff:10.0.0.0/95'])(
    'throws at start-up for %j',
    (entry) => {
      expect(() => createAddressMatcher([entry])).toThrow(ConfigInvalidError);
    },
  );
});
