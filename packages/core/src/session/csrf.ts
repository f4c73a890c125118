/**
 * Cross-site request forgery defence for cookie-authenticated requests (OWASP CSRF Prevention
 * Cheat Sheet, "Verifying Origin With Standard Headers" and "Fetch Metadata"): a state-changing
 * request (anything but GET, HEAD, OPTIONS) carrying the session cookie must come from the app's own
 * origin: `Origin` equal to it, or, without `Origin`, `Sec-Fetch-Site: same-origin`. Else 403.
 * Bearer and API-key requests never reach this check (no ambient credential, no CSRF).
 */
import { CsrfRejectedError } from '../errors.js';
import type { AuthRequest } from '../request.js';
import { firstHeader } from '../request.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * True for methods that must not change state (RFC 9110 §9.2.1).
 * @example
 * isSafeMethod('POST'); // false
 */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * True when the request provably comes from `origin` (its `Origin`, else `Sec-Fetch-Site`).
 * @example
 * isSameOrigin(request, 'https://notes.example');
 */
export function isSameOrigin(request: AuthRequest, origin: string): boolean {
  const origins = request.headers('origin');
  if (origins.length > 0) return origins.length === 1 && origins[0] === origin;
  return firstHeader(request, 'sec-fetch-site') === 'same-origin';
}

/**
 * Throws {@link CsrfRejectedError} for a state-changing request that is not provably same-origin.
 * @example
 * checkCsrf(request, 'https://notes.example'); // throws on a cross-site POST
 */
export function checkCsrf(request: AuthRequest, origin: string): void {
  if (!isSafeMethod(request.method) && !isSameOrigin(request, origin)) throw new CsrfRejectedError();
}
