/**
 * Browser SSO with OpenID Connect (Core 1.0 §3.1 authorization-code flow with PKCE), sealed
 * sessions, refresh, RP-initiated and back-channel logout. See docs/sessions.md.
 */
import type { HttpAnswer } from '../errors.js';
import type { Principal } from '../principal.js';
import type { AuthRequest } from '../request.js';

export { createSessionManager } from './manager.js';
export type { SessionFetch, SessionOptions, SessionPaths } from './options.js';
export { safeReturnTo } from './return-to.js';
export type { RevocableSession, SessionRevocationList } from './revocation.js';
export { createMemoryRevocationList } from './revocation.js';
export type { Sealer, SealPurpose } from './seal.js';
export { createSealer } from './seal.js';

/**
 * Browser login routes and the session principal.
 * @example
 * const sessions: SessionManager = createSessionManager(options);
 * const result = await sessions.authenticate(request); // { principal, setCookies } or null
 */
export interface SessionManager {
  /**
   * The session's principal (kind `session`) and cookies to set (a refresh, a renewed idle timeout);
   * `principal: null` with cookies that clear it when the session cookie is there but ended (expired,
   * tampered, logged out, refresh refused); null when there is no session cookie at all.
   * Throws `CsrfRejectedError` for a cross-site state-changing request, `UnavailableError` when an
   * expired access token cannot be refreshed because the provider is unreachable.
   */
  authenticate(request: AuthRequest): Promise<{ principal: Principal | null; setCookies: string[] } | null>;
  /** Handles `/auth/login`, `/auth/callback`, `/auth/logout`, back-channel logout; null otherwise. */
  handle(request: AuthRequest): Promise<HttpAnswer | null>;
  /**
   * Discovers the provider now (`guard.ready()`): throws `ConfigInvalidError` for an issuer mismatch,
   * `UnavailableError` otherwise, each with the fault.
   */
  ready(): Promise<void>;
  /** Stops the manager's background work. */
  close(): Promise<void>;
}
