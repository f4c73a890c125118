import { CredentialsMissingError, ScopeInsufficientError } from '../errors.js';
import type { Principal } from '../principal.js';

/**
 * What a route needs. `all`: every scope; `any`: at least one. Both may be given (both must hold).
 * An array is shorthand for `{ all: [...] }`.
 */
export type ScopeRequirement =
  | readonly string[]
  | { readonly all?: readonly string[]; readonly any?: readonly string[] };

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
  if (!principal) throw new CredentialsMissingError();
  const { all = [], any = [] } = Array.isArray(requirement)
    ? { all: requirement as readonly string[], any: [] }
    : (requirement as { all?: readonly string[]; any?: readonly string[] });
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
