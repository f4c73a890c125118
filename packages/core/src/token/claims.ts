/**
 * Claim validation in restguard's own code (RFC 7519 §4.1, RFC 9068 §2.2 and §4, RFC 8725 §3.8–3.11):
 * exact `iss`, `aud` (string or array) containing an accepted audience, `exp` required, `nbf`/`iat`
 * with a clock tolerance, optional maximum age, `typ` per profile, and refusal of ID tokens and other
 * JWT kinds presented as access tokens (cross-JWT confusion).
 */
import { TokenExpiredError, TokenInvalidError } from '../errors.js';
import type { ResolvedIssuer, ResolvedSettings } from './resolve.js';

/** restguard's fixed descriptions; never a library message, never a claim value. */
export const REASONS = {
  malformed: 'The access token is malformed.',
  issuer: 'The access token was not issued by a trusted issuer.',
  algorithm: 'The access token is signed with an algorithm that is not accepted.',
  signature: 'The access token signature is not valid.',
  type: 'The token is not an access token.',
  critical: 'The access token has an unsupported critical header parameter.',
  audience: 'The access token is not intended for this API.',
  claims: 'The access token lacks a required claim or has a malformed one.',
  notYetValid: 'The access token is not valid yet.',
  tooOld: 'The access token is too old.',
  inactive: 'The access token is not active.',
  refused: 'The access token was refused.',
} as const;

/** Refuses with a fixed reason. */
export const invalid = (reason: keyof typeof REASONS): TokenInvalidError =>
  new TokenInvalidError(REASONS[reason]);

const NOT_ACCESS = new Set(['id', 'refresh', 'offline', 'logout', 'id_token', 'refresh_token']);
const AT_JWT = new Set(['at+jwt', 'application/at+jwt']);
const PLAIN_JWT = new Set(['jwt', 'application/jwt']);
/** RFC 9068 §2.2 required claims. */
const RFC9068_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const;
/** Claims that must be non-empty strings when present. */
const TEXT_CLAIMS = ['sub', 'client_id', 'jti', 'azp'] as const;

/**
 * RFC 9068 §4 / RFC 8725 §3.11 explicit typing: strict profile needs `at+jwt`; lenient also takes
 * no `typ` or `JWT`. Any other type (ID tokens' `JWT` aside, logout tokens, SETs, DPoP proofs) is refused.
 * @example
 * checkType('application/at+jwt', 'rfc9068'); // ok
 */
export function checkType(typ: unknown, profile: ResolvedIssuer['profile']): void {
  if (typeof typ === 'string' && AT_JWT.has(typ.toLowerCase())) return;
  if (
    profile === 'lenient' &&
    (typ === undefined || (typeof typ === 'string' && PLAIN_JWT.has(typ.toLowerCase())))
  ) {
    return;
  }
  throw invalid('type');
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Checks the time claims; `requireExp` for JWTs (introspection answers may omit `exp`). */
export function checkTimes(
  claims: Record<string, unknown>,
  settings: ResolvedSettings,
  nowSeconds: number,
  requireExp: boolean,
): void {
  const { exp, nbf, iat } = claims;
  const tolerance = settings.clockToleranceSeconds;
  if (exp === undefined ? requireExp : !isNumber(exp)) throw invalid('claims');
  if (nbf !== undefined && !isNumber(nbf)) throw invalid('claims');
  if (iat !== undefined && !isNumber(iat)) throw invalid('claims');
  if (isNumber(exp) && exp <= nowSeconds - tolerance) throw new TokenExpiredError();
  if (isNumber(nbf) && nbf > nowSeconds + tolerance) throw invalid('notYetValid');
  if (isNumber(iat) && iat > nowSeconds + tolerance) throw invalid('notYetValid');
  if (settings.maxTokenAgeSeconds !== undefined) {
    if (!isNumber(iat)) throw invalid('claims');
    if (nowSeconds - iat > settings.maxTokenAgeSeconds + tolerance)
      throw new TokenExpiredError(REASONS.tooOld);
  }
}

/** `aud` (string or array of strings) must contain one of the accepted audiences, exactly. */
export function checkAudience(aud: unknown, audiences: readonly string[]): void {
  if (typeof aud === 'string') {
    if (!audiences.includes(aud)) throw invalid('audience');
    return;
  }
  const list = aud;
  if (!Array.isArray(list) || list.length === 0 || !list.every((entry) => typeof entry === 'string'))
    throw invalid('audience');
  if (!list.some((entry) => audiences.includes(entry))) throw invalid('audience');
}

/**
 * Validates a JWT access token's claims (after its signature was verified).
 * @example
 * validateJwtClaims(payload, issuer, settings, Math.floor(Date.now() / 1000));
 */
export function validateJwtClaims(
  claims: Record<string, unknown>,
  issuer: ResolvedIssuer,
  settings: ResolvedSettings,
  nowSeconds: number,
): void {
  if (claims.iss !== issuer.issuer) throw invalid('issuer');
  if (issuer.profile === 'rfc9068') {
    for (const name of RFC9068_CLAIMS) if (claims[name] === undefined) throw invalid('claims');
  }
  for (const name of TEXT_CLAIMS) {
    if (claims[name] !== undefined && !isText(claims[name])) throw invalid('claims');
  }
  if (claims.scope !== undefined && typeof claims.scope !== 'string') throw invalid('claims');
  checkTimes(claims, settings, nowSeconds, true);
  checkAudience(claims.aud, issuer.audiences);
  refuseOtherJwtKinds(claims);
  if (!isText(claims.sub) && !isText(claims.client_id) && !isText(claims.azp)) throw invalid('claims');
}

/**
 * Cross-JWT confusion (RFC 8725 §2.8, §3.11): an ID token (`nonce`, `at_hash`, `c_hash`, or an
 * audience that is its own authorized party), a logout token or a SET (`events`) is not an access token.
 */
export function refuseOtherJwtKinds(claims: Record<string, unknown>): void {
  if (claims.nonce !== undefined || claims.at_hash !== undefined || claims.c_hash !== undefined)
    throw invalid('type');
  if (claims.events !== undefined) throw invalid('type');
  // Keycloak marks its JWT kinds in a `typ` claim: `Bearer` is the access token
  if (typeof claims.typ === 'string' && NOT_ACCESS.has(claims.typ.toLowerCase())) throw invalid('type');
  if (isText(claims.azp)) {
    const { aud, azp } = claims;
    if (aud === azp || (Array.isArray(aud) && aud.includes(azp))) throw invalid('type');
  }
}
