/**
 * The sealed session itself: what it holds, how it becomes a {@link Principal} and cookies, and its
 * idle and absolute timeouts (OWASP Session Management Cheat Sheet, "Session Expiration").
 */
import { decodeJwt, type JWTPayload } from 'jose';
import { isRestguardError } from '../errors.js';
import type { Principal } from '../principal.js';
import { freezePrincipal, scopesFromClaims } from '../principal.js';
import { clearChunkedCookie, readChunkedCookie, writeChunkedCookie } from './cookies.js';
import type { ResolvedSessionOptions } from './options.js';
import type { Sealer } from './seal.js';

/** What a session cookie holds (sealed). Times are seconds since the epoch. */
export interface SessionData {
  /** restguard's own session id (random): single-flight refresh key. */
  id: string;
  /** The issuer the session came from: a session never outlives a change of provider. */
  iss: string;
  sub: string;
  /** The provider's session id (ID token `sid`), for back-channel logout. */
  sid?: string;
  /** The ID token, for its claims and as `id_token_hint` at logout. */
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  scopes: string[];
  /** When the access token was issued and expires. */
  tokenIssuedAt: number;
  tokenExpiresAt: number;
  /** Session start (absolute timeout) and last use (idle timeout). */
  createdAt: number;
  touchedAt: number;
  /** Refresh generation: a refresh makes generation n + 1 from n. */
  generation: number;
}

/**
 * A session's scopes. With the guard's token verifier (`options.scopesOf`), its rules exactly: the
 * scopes the same access token has as a bearer (`scopeClaim` honoured), none when the verifier refuses
 * it; an unreachable verifier is a 503 (`UnavailableError`). Without one, {@link tokenScopes}.
 * @example
 * const scopes = await sessionScopes(options, tokens.access_token, tokens.scope, options.scopes);
 */
export async function sessionScopes(
  options: Pick<ResolvedSessionOptions, 'scopesOf'>,
  accessToken: string,
  responseScope: string | undefined,
  requested: readonly string[],
): Promise<string[]> {
  if (!options.scopesOf) return tokenScopes(accessToken, responseScope, requested);
  try {
    return [...(await options.scopesOf(accessToken))];
  } catch (err) {
    if (isRestguardError(err) && err.code === 'ERR_UNAVAILABLE') throw err;
    return [];
  }
}

/**
 * Scopes of a token response when no token verifier is configured: the access token's own `scope`/`scp` when it is a JWT (RFC 9068 §2.2.3,
 * what a bearer request would carry), else the response's `scope`, else what was requested (RFC 6749 §5.1).
 * @example
 * tokenScopes(accessToken, 'read write', ['openid']);
 */
export function tokenScopes(
  accessToken: string,
  responseScope: string | undefined,
  requested: readonly string[],
): string[] {
  if (accessToken.split('.').length === 3) {
    try {
      const claims = decodeJwt(accessToken);
      if (claims.scope !== undefined || claims.scp !== undefined) return [...scopesFromClaims(claims)];
    } catch {
      // opaque after all
    }
  }
  if (typeof responseScope === 'string') return [...scopesFromClaims({ scope: responseScope })];
  return [...requested];
}

/**
 * The session's principal: kind `session`, subject = ID token `sub`, claims = ID token claims.
 * @example
 * const principal = sessionPrincipal(data, options);
 */
export function sessionPrincipal(data: SessionData, options: ResolvedSessionOptions): Principal {
  return freezePrincipal({
    kind: 'session',
    subject: data.sub,
    scopes: new Set(data.scopes),
    issuer: options.issuer,
    clientId: options.clientId,
    claims: decodeJwt(data.idToken) as JWTPayload,
  });
}

/** The second the session ends if it is not used again: idle deadline, capped by the absolute one. */
export function sessionDeadline(data: SessionData, options: ResolvedSessionOptions): number {
  return Math.min(
    data.touchedAt + options.idleTimeoutSeconds,
    data.createdAt + options.absoluteTimeoutSeconds,
  );
}

function isSessionData(value: JWTPayload): value is JWTPayload & SessionData {
  const fields = value as Record<string, unknown>;
  return (
    typeof fields.id === 'string' &&
    typeof fields.sub === 'string' &&
    typeof fields.idToken === 'string' &&
    typeof fields.accessToken === 'string' &&
    Array.isArray(fields.scopes) &&
    typeof fields.createdAt === 'number' &&
    typeof fields.touchedAt === 'number' &&
    typeof fields.tokenExpiresAt === 'number' &&
    typeof fields.generation === 'number'
  );
}

/**
 * Opens the session cookie; null when absent, tampered, sealed with an unknown secret or timed out.
 * @example
 * const data = await readSession(cookies, sealer, options);
 */
export async function readSession(
  cookies: Map<string, string>,
  sealer: Sealer,
  options: ResolvedSessionOptions,
): Promise<SessionData | null> {
  const sealed = readChunkedCookie(cookies, options.cookieName);
  if (!sealed) return null;
  const payload = await sealer.open(sealed);
  if (!payload || !isSessionData(payload) || payload.iss !== options.issuer) return null;
  const { aud: _aud, iat: _iat, exp: _exp, ...data } = payload;
  if (sessionDeadline(data, options) <= Math.floor(options.clock() / 1000)) return null;
  return data as SessionData;
}

/**
 * Seals `data` into `Set-Cookie` values (chunked when needed), expiring at its deadline.
 * @example
 * const setCookies = await writeSession(cookies, data, sealer, options);
 */
export async function writeSession(
  cookies: Map<string, string>,
  data: SessionData,
  sealer: Sealer,
  options: ResolvedSessionOptions,
): Promise<string[]> {
  const deadline = sessionDeadline(data, options);
  const sealed = await sealer.seal({ ...data }, deadline);
  return writeChunkedCookie(
    cookies,
    options.cookieName,
    sealed,
    deadline - Math.floor(options.clock() / 1000),
  );
}

/**
 * `Set-Cookie` values that end the session in the browser.
 * @example
 * const setCookies = endSessionCookies(cookies, options);
 */
export function endSessionCookies(cookies: Map<string, string>, options: ResolvedSessionOptions): string[] {
  return clearChunkedCookie(cookies, options.cookieName);
}
