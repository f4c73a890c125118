import { describe, expect, it } from 'vitest';
import { checkDevPassword, devAccounts } from './accounts.js';

describe('development accounts', () => {
  it('are alice (read write) and bob (read)', () => {
    expect(devAccounts.map((account) => [account.username, account.scopes.join(' ')])).toEqual([
      ['alice', 'read write'],
      ['bob', 'read'],
    ]);
  });

  it('accept only the right password for the right account', () => {
    expect(checkDevPassword('alice', 'alice')?.username).toBe('alice');
    expect(checkDevPassword('bob', 'bob')?.username).toBe('bob');
    expect(checkDevPassword('alice', 'bob')).toBeUndefined();
    expect(checkDevPassword('alice', '')).toBeUndefined();
    expect(checkDevPassword('Alice', 'Alice')).toBeUndefined();
    expect(checkDevPassword('mallory', 'mallory')).toBeUndefined();
  });
});
