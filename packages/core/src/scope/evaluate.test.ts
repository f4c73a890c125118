import { describe, expect, it } from 'vitest';
import { isRestguardError } from '../errors.js';
import type { Principal } from '../principal.js';
import { scopesFromClaims } from '../principal.js';
import { authorize, requiredScopes } from './evaluate.js';

const principal = (...scopes: string[]): Principal => ({
  kind: 'token',
  subject: 's',
  scopes: new Set(scopes),
});
const outcome = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return isRestguardError(err) ? err.code : 'foreign';
  }
};

describe('authorize', () => {
  it('requires every scope of an all-of requirement', () => {
    expect(outcome(() => authorize(principal('read', 'write'), ['read', 'write']))).toBe('ok');
    expect(outcome(() => authorize(principal('read'), ['read', 'write']))).toBe('ERR_SCOPE_INSUFFICIENT');
  });

  it('requires one scope of an any-of requirement', () => {
    expect(outcome(() => authorize(principal('admin'), { any: ['write', 'admin'] }))).toBe('ok');
    expect(outcome(() => authorize(principal('read'), { any: ['write', 'admin'] }))).toBe(
      'ERR_SCOPE_INSUFFICIENT',
    );
  });

  it('names what was needed', () => {
    expect(() => authorize(principal('read'), { all: ['write'] })).toThrow(
      expect.objectContaining({ requiredScopes: ['write'] }),
    );
  });

  it('compares case-sensitively', () => {
    expect(outcome(() => authorize(principal('Read'), ['read']))).toBe('ERR_SCOPE_INSUFFICIENT');
  });

  it('refuses an anonymous principal with credentials-missing, even for an empty requirement', () => {
    expect(outcome(() => authorize(null, []))).toBe('ERR_CREDENTIALS_MISSING');
    expect(outcome(() => authorize(principal(), []))).toBe('ok');
  });

  it('lists required scopes for documentation', () => {
    expect(requiredScopes(['read'])).toEqual(['read']);
    expect(requiredScopes({ all: ['a'], any: ['b', 'c'] })).toEqual(['a', 'b', 'c']);
  });
});

describe('scopesFromClaims', () => {
  it('splits scope on spaces and drops empty pieces', () => {
    expect([...scopesFromClaims({ scope: ' read  write ' })]).toEqual(['read', 'write']);
  });
  it('reads scp as an array or a string', () => {
    expect([...scopesFromClaims({ scp: ['read', 'write'] })]).toEqual(['read', 'write']);
    expect([...scopesFromClaims({ scp: 'read write' })]).toEqual(['read', 'write']);
  });
  it('reads only a configured claim when one is given', () => {
    expect([...scopesFromClaims({ scope: 'x', permissions: ['read'] }, 'permissions')]).toEqual(['read']);
  });
  it('ignores non-string values', () => {
    expect([...scopesFromClaims({ scope: 42, scp: [1, null, 'ok'] })]).toEqual(['ok']);
  });
});

describe('malformed requirements', () => {
  it('refuses to treat a bare or space-joined string as no requirement', () => {
    const everything = principal('read', 'write');
    expect(outcome(() => authorize(everything, 'write' as never))).toBe('ERR_CONFIG_INVALID');
    expect(outcome(() => authorize(everything, ['read write']))).toBe('ERR_CONFIG_INVALID');
    expect(outcome(() => authorize(everything, { every: ['x'] } as never))).toBe('ERR_CONFIG_INVALID');
  });
});
