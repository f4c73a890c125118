// Unit tests of the pure pieces: key filtering, typ, audience and time checks, crit parsing.
import { describe, expect, it } from 'vitest';
import { TokenExpiredError, TokenInvalidError } from '../errors.js';
import { checkAudience, checkTimes, checkType, refuseOtherJwtKinds } from './claims.js';
import { parseJws } from './jws.js';
import { usableKey } from './keys.js';
import { resolveSettings } from './resolve.js';

const rsa2048 = { kty: 'RSA', e: 'AQAB', n: `w${'A'.repeat(341)}` }; // 342 chars ≈ 2048 bits, top bits set
const ec = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('usableKey', () => {
  it('accepts fitting keys and drops private members', () => {
    expect(usableKey({ ...rsa2048, d: 'secret', use: 'sig', alg: 'RS256' }, 'RS256')).toEqual(rsa2048);
    expect(usableKey(ec, 'ES256')).toEqual(ec);
  });
  it.each([
    ['oct', { kty: 'oct', k: 'AAAA' }, 'RS256'],
    ['use enc', { ...rsa2048, use: 'enc' }, 'RS256'],
    ['alg mismatch', { ...rsa2048, alg: 'RS384' }, 'RS256'],
    ['key_ops without verify', { ...rsa2048, key_ops: ['sign'] }, 'RS256'],
    ['RSA 1024', { ...rsa2048, n: `w${'A'.repeat(170)}` }, 'RS256'],
    ['EC curve mismatch', ec, 'ES384'],
    ['EC for RSA alg', ec, 'PS256'],
    ['Ed448', { kty: 'OKP', crv: 'Ed448', x: 'AAAA' }, 'EdDSA'],
    ['not an object', 'x', 'RS256'],
  ] as const)('refuses %s', (_name, jwk, alg) => {
    expect(usableKey(jwk, alg)).toBeNull();
  });
});

describe('claims', () => {
  const settings = resolveSettings({ issuers: [] });
  it('types per profile', () => {
    expect(() => checkType('AT+JWT', 'rfc9068')).not.toThrow();
    expect(() => checkType('JWT', 'rfc9068')).toThrow(TokenInvalidError);
    expect(() => checkType(undefined, 'lenient')).not.toThrow();
    expect(() => checkType('secevent+jwt', 'lenient')).toThrow(TokenInvalidError);
  });
  it('audience exact match', () => {
    expect(() => checkAudience(['a', 'b'], ['b'])).not.toThrow();
    expect(() => checkAudience('b/', ['b'])).toThrow(TokenInvalidError);
    expect(() => checkAudience([1], ['b'])).toThrow(TokenInvalidError);
  });
  it('times with tolerance', () => {
    expect(() => checkTimes({ exp: 100 }, settings, 104, true)).not.toThrow();
    expect(() => checkTimes({ exp: 100 }, settings, 105, true)).toThrow(TokenExpiredError);
    expect(() => checkTimes({}, settings, 1, true)).toThrow(TokenInvalidError);
    expect(() => checkTimes({}, settings, 1, false)).not.toThrow();
    expect(() => checkTimes({ exp: 200, nbf: 106 }, settings, 100, true)).toThrow(TokenInvalidError);
  });
  it('ID tokens and logout tokens', () => {
    expect(() => refuseOtherJwtKinds({ aud: 'c', azp: 'c' })).toThrow(TokenInvalidError);
    expect(() => refuseOtherJwtKinds({ aud: 'api', azp: 'c' })).not.toThrow();
    expect(() => refuseOtherJwtKinds({ at_hash: 'x' })).toThrow(TokenInvalidError);
  });
});

describe('parseJws', () => {
  const token = (header: unknown) => `${b64(header)}.${b64({})}.c2ln`;
  it('honours crit', () => {
    expect(() => parseJws(token({ alg: 'ES256', crit: ['x'], x: 1 }), [])).toThrow(TokenInvalidError);
    expect(() => parseJws(token({ alg: 'ES256', crit: ['x'] }), ['x'])).toThrow(TokenInvalidError); // listed but absent
    expect(() => parseJws(token({ alg: 'ES256', crit: ['kid'], kid: 'a' }), ['kid'])).toThrow(
      TokenInvalidError,
    );
    expect(() => parseJws(token({ alg: 'ES256', crit: [] }), [])).toThrow(TokenInvalidError);
    expect(parseJws(token({ alg: 'ES256', crit: ['x'], x: 1 }), ['x']).header.alg).toBe('ES256');
  });
  it('refuses unencoded payloads and malformed parts', () => {
    expect(() => parseJws(token({ alg: 'ES256', b64: false }), [])).toThrow(TokenInvalidError);
    expect(() => parseJws(`${b64([1])}.${b64({})}.c2ln`, [])).toThrow(TokenInvalidError);
    expect(() => parseJws(`${b64({ alg: 1 })}.${b64({})}.c2ln`, [])).toThrow(TokenInvalidError);
    expect(() => parseJws(token({ alg: 'ES256', kid: 5 }), [])).toThrow(TokenInvalidError);
    // 'c2l' decodes to the same bytes as 'c2k' (stray padding bits): only the canonical form passes
    expect([...parseJws(`${b64({ alg: 'ES256' })}.${b64({})}.c2k`, []).signature]).toEqual([115, 105]);
    expect(() => parseJws(`${b64({ alg: 'ES256' })}.${b64({})}.c2l`, [])).toThrow(TokenInvalidError);
  });
});
