import { ConfigInvalidError, CredentialsMissingError, ScopeInsufficientError } from '../errors.js';
import type { Principal } from '../principal.js';

/**
 * What a route needs. `all`: every scope; `any`: at least one. Both may be given (both must hold).
 * An array is shorthand for `{ all: [...] }`.
 */
export type ScopeRequirement =
  | readonly string[]
  | { readonly all?: readonly string[]; readonly any?: readonly string[] };

const isScopeList = (value: unknown): value is readonly string[] =>
  Array.isArray(value) &&
  value.every((scope) => typeof scope === 'string' && scope !== '' && !scope.includes(' '));

/**
 * Checks a route's requirement when the route is declared, so a typo (`requireScopes('write')`, a
 * space-joined `'read write'`, an unknown key) fails at start-up instead of letting requests through.
 * @example
 * checkScopeRequirement({ any: ['write', 'admin'] }); // returns it
 * checkScopeRequirement('write'); // throws ConfigInvalidError
 */
export function checkScopeRequirement(requirement: unknown): ScopeRequirement {
  if (isScopeList(requirement)) return requirement;
  if (typeof requirement === 'object' && requirement !== null && !Array.isArray(requirement)) {
    const entries = Object.entries(requirement);
    const valid = entries.every(
      ([key, value]) => (key === 'all' || key === 'any') && (value === undefined || isScopeList(value)),
    );
    if (valid) return requirement as ScopeRequirement;
  }
  throw new ConfigInvalidError(
    'A scope requirement is an array of scopes (all of them) or { all?: string[], any?: string[] }; scopes contain no spaces.',
  );
}

/**
 * The one authorization step, for OAuth scopes, API-key permissions and sessions alike. Pure.
 * Throws {@link CredentialsMissingError} for an anonymous request and {@link ScopeInsufficientError}
 * naming what was needed. An empty requirement only asks for an authenticated principal.
 * @example
 * authorize(principal, { any: ['write', 'admin'] });
 */
export function authorize(
  principal: Principal | null | undefined,
  requirement: ScopeRequirement = [],
): Principal {
  // A malformed requirement (a bare string, a space-joined list) must never mean "no requirement".
  const checked = checkScopeRequirement(requirement);
  if (!principal) throw new CredentialsMissingError();
  const { all = [], any = [] } = Array.isArray(checked)
    ? { all: checked as readonly string[], any: [] }
    : (checked as { all?: readonly string[]; any?: readonly string[] });
  const missing = all.filter((scope) => !principal.scopes.has(scope));
  if (missing.length > 0) throw new ScopeInsufficientError(all);
  if (any.length > 0 && !any.some((scope) => principal.scopes.has(scope)))
    throw new ScopeInsufficientError(any);
  return principal;
}

/**
 * Normalises a requirement to a list for documentation (OpenAPI `security` scopes).
 * @example
 * requiredScopes({ all: ['read'] }); // ['read']
 */
export function requiredScopes(requirement: ScopeRequirement): string[] {
  if (Array.isArray(requirement)) return [...(requirement as readonly string[])];
  const { all = [], any = [] } = requirement as { all?: readonly string[]; any?: readonly string[] };
  return [...all, ...any];
}
