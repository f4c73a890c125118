// The development accounts of the dev issuer. Passwords equal the usernames: these accounts exist
// for local development and end-to-end tests only.
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * One development account: who it is and which API scopes it may be granted.
 *
 * @example
 * ```ts
 * const bob: DevAccount | undefined = findDevAccount('bob');
 * ```
 */
export interface DevAccount {
  /** The account id, also the `sub` of its tokens and its username on the login page. */
  readonly username: string;
  /** Display name, released as the `name` claim with the `profile` scope. */
  readonly name: string;
  /** API scopes this account may grant a client (the token carries what was requested and allowed). */
  readonly scopes: readonly string[];
}

/**
 * The built-in development accounts: `alice` (password `alice`, scopes `read write`) and `bob`
 * (password `bob`, scope `read`).
 *
 * @example
 * ```ts
 * import { devAccounts } from '@restguard/dev-issuer';
 * devAccounts.map((account) => account.username); // ['alice', 'bob']
 * ```
 */
export const devAccounts: readonly DevAccount[] = Object.freeze([
  Object.freeze({ username: 'alice', name: 'Alice', scopes: Object.freeze(['read', 'write']) }),
  Object.freeze({ username: 'bob', name: 'Bob', scopes: Object.freeze(['read']) }),
]);

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Finds a development account by id, or `undefined`.
 *
 * @example
 * ```ts
 * findDevAccount('bob')?.scopes; // ['read']
 * ```
 */
export function findDevAccount(username: string): DevAccount | undefined {
  return devAccounts.find((account) => account.username === username);
}

/**
 * Checks a username and password against the development accounts (the password of each account is
 * its username). Compares digests in constant time so the check does not leak through timing.
 *
 * @example
 * ```ts
 * checkDevPassword('alice', 'alice')?.username; // 'alice'
 * checkDevPassword('alice', 'bob'); // undefined
 * ```
 */
export function checkDevPassword(username: string, password: string): DevAccount | undefined {
  const account = findDevAccount(username);
  const expected = digest(account ? account.username : '\u0000no-such-account');
  const matches = timingSafeEqual(expected, digest(password));
  return account && matches ? account : undefined;
}
