import { describe, expect, it } from 'vitest';
import { isRestguardError } from '../errors.js';
import {
  ApiKeyManagementError,
  validateExpiry,
  validateMetadata,
  validateName,
  validatePermissions,
  validateSubject,
} from './validate.js';

const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as ApiKeyManagementError;
  }
  throw new Error('expected a refusal');
};

describe('management input validation', () => {
  it('accepts permission names and drops duplicates, keeping order', () => {
    expect(validatePermissions(['write', 'read', 'write', 'notes:read', 'billing.admin_x-y'])).toEqual([
      'write',
      'read',
      'notes:read',
      'billing.admin_x-y',
    ]);
  });

  it('refuses bad permission syntax with a typed ERR_CONFIG_INVALID error', () => {
    for (const bad of [
      [],
      ['Read'],
      ['read write'],
      [''],
      ['1read'],
      ['read,write'],
      ['a'.repeat(65)],
      ['*'],
    ]) {
      const err = refused(() => validatePermissions(bad));
      expect(err).toBeInstanceOf(ApiKeyManagementError);
      expect(err.reason).toBe('invalid_input');
      expect(isRestguardError(err) && err.code).toBe('ERR_CONFIG_INVALID');
    }
  });

  it('validates names, subjects, metadata and expiry', () => {
    expect(validateName('  ci deploy ')).toBe('ci deploy');
    expect(refused(() => validateName(' '))).toBeInstanceOf(ApiKeyManagementError);
    expect(refused(() => validateName('a\nb'))).toBeInstanceOf(ApiKeyManagementError);
    expect(validateSubject(undefined)).toBeNull();
    expect(refused(() => validateSubject(''))).toBeInstanceOf(ApiKeyManagementError);
    expect(validateMetadata({ a: [1] })).toEqual({ a: [1] });
    expect(refused(() => validateMetadata([] as never))).toBeInstanceOf(ApiKeyManagementError);
    expect(refused(() => validateMetadata({ big: 'x'.repeat(9000) }))).toBeInstanceOf(ApiKeyManagementError);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(validateExpiry(null, now)).toBeNull();
    expect(validateExpiry(new Date('2026-01-02T00:00:00Z'), now)).toEqual(new Date('2026-01-02T00:00:00Z'));
    expect(refused(() => validateExpiry(now, now))).toBeInstanceOf(ApiKeyManagementError);
    expect(refused(() => validateExpiry(new Date(Number.NaN), now))).toBeInstanceOf(ApiKeyManagementError);
  });
});
