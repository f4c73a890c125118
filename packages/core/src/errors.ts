/**
 * restguard's closed set of errors, and the one table that turns each into an HTTP answer:
 * a status, an RFC 6750 §3 `WWW-Authenticate` challenge and an RFC 9457 problem+json body.
 *
 * Adapters never pick a status code: they call {@link toChallenge} and write what it returns.
 * Error descriptions are restguard's own fixed sentences; a message from jose, a credential or a
 * stack trace never reaches a client.
 */

/** Every error code restguard can raise. `switch (err.code)` narrows to the subclass. */
export type RestguardErrorCode =
  | 'ERR_CREDENTIALS_MISSING'
  | 'ERR_REQUEST_INVALID'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_SCOPE_INSUFFICIENT'
  | 'ERR_API_KEY_INVALID'
  | 'ERR_HTTPS_REQUIRED'
  | 'ERR_CSRF_REJECTED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_DPOP_PROOF_INVALID'
  | 'ERR_DPOP_NONCE_REQUIRED'
  | 'ERR_UNAVAILABLE'
  | 'ERR_CONFIG_INVALID';

import type { Fault } from './fault.js';

const marker = Symbol.for('restguard.error');

/** Classes whose errors only answer a client's request: built without a stack trace (filled in below). */
const refusals = new Set<abstract new (...args: never[]) => RestguardError>();

/**
 * Base class of every restguard error. Test with {@link isRestguardError}, not `instanceof`.
 *
 * Refusals of a client's request (401, 400, 403) are built without a stack trace: it would only point
 * into restguard, and capturing it costs more than the rest of refusing a forged token. Configuration
 * and infrastructure errors (`ERR_CONFIG_INVALID`, `ERR_UNAVAILABLE`) keep theirs.
 */
export abstract class RestguardError extends Error {
  abstract readonly code: RestguardErrorCode;
  readonly [marker] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    const refusal = refusals.has(new.target);
    const limit = Error.stackTraceLimit;
    if (refusal) Error.stackTraceLimit = 0;
    super(message, options);
    if (refusal) Error.stackTraceLimit = limit;
    this.name = new.target.name;
  }
}

/**
 * True for any restguard error, even one from another copy of the package.
 * @example
 * try { await guard.authenticate(request) } catch (err) { if (isRestguardError(err)) console.log(err.code) }
 */
export function isRestguardError(value: unknown): value is AnyRestguardError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/** A class declared by {@link errorClass}: a {@link RestguardError} whose `code` is the literal given. */
type ErrorClass<C extends RestguardErrorCode> = abstract new (
  message?: string,
  options?: { cause?: unknown },
) => RestguardError & { readonly code: C };

/**
 * The one way an error class is declared: `class X extends errorClass(code, defaultMessage) {}`,
 * with a constructor of its own only when it carries more (scopes, a nonce, a retry delay).
 */
function errorClass<C extends RestguardErrorCode>(code: C, defaultMessage: string): ErrorClass<C> {
  abstract class Declared extends RestguardError {
    readonly code: C = code;
    constructor(message: string = defaultMessage, options?: { cause?: unknown }) {
      super(message, options);
    }
  }
  return Declared;
}

/** No credential at all: 401 with a bare `Bearer realm=…` challenge. */
export class CredentialsMissingError extends errorClass(
  'ERR_CREDENTIALS_MISSING',
  'No credential was presented.',
) {}
/** A malformed request (two credentials, a token in the query string, an oversized header): 400. */
export class RequestInvalidError extends errorClass('ERR_REQUEST_INVALID', 'The request is not valid.') {}
/** A request body over the cap, refused before more than the cap is read: 413, no challenge. */
export class BodyTooLargeError extends errorClass('ERR_BODY_TOO_LARGE', 'The request body is too large.') {}
/** A token that is not valid (signature, issuer, audience, type, claims): 401 `invalid_token`. */
export class TokenInvalidError extends errorClass('ERR_TOKEN_INVALID', 'The access token is not valid.') {}
/** A token past its `exp`: 401 `invalid_token`. */
export class TokenExpiredError extends errorClass('ERR_TOKEN_EXPIRED', 'The access token has expired.') {}
/** A valid credential without the scopes/permissions the route needs: 403 `insufficient_scope`. */
export class ScopeInsufficientError extends errorClass('ERR_SCOPE_INSUFFICIENT', '') {
  /** The scopes the route needs, as they appear in the challenge's `scope` attribute. */
  readonly requiredScopes: readonly string[];
  constructor(requiredScopes: readonly string[], message?: string, options?: { cause?: unknown }) {
    super(message ?? `The credential lacks the required scope: ${requiredScopes.join(' ')}.`, options);
    this.requiredScopes = requiredScopes;
  }
}
/** An API key that is malformed, unknown, expired or revoked: 401 `invalid_token`. */
export class ApiKeyInvalidError extends errorClass('ERR_API_KEY_INVALID', 'The API key is not valid.') {}
/** A credential sent over plain HTTP, or a request that must use HTTPS: 403 `https_required`. */
export class HttpsRequiredError extends errorClass('ERR_HTTPS_REQUIRED', '') {
  constructor(message = 'This API accepts credentials over HTTPS only.', options?: { cause?: unknown }) {
    super(`${message} ${HTTPS_REQUIRED_FIX}`, options);
  }
}
/** How to fix a plain-HTTP refusal, appended to every `https_required` detail. */
const HTTPS_REQUIRED_FIX =
  'Serve it over HTTPS, or, behind a TLS-terminating proxy, list the proxy in the tls.trustedProxies option so that its X-Forwarded-Proto / Forwarded header is believed.';
/** A state-changing request authenticated by a session cookie from another origin: 403. */
export class CsrfRejectedError extends errorClass('ERR_CSRF_REJECTED', 'Cross-site request refused.') {}
/**
 * The credential's rate limit is spent: 429 (RFC 6585 §4) with `Retry-After` and the IETF
 * `RateLimit-Policy` / `RateLimit` headers. Never a 401: the credential itself is fine.
 */
export class RateLimitedError extends errorClass(
  'ERR_RATE_LIMITED',
  'Too many requests for this credential; retry later.',
) {
  /** Seconds until the budget resets (`Retry-After`). */
  readonly retryAfterSeconds: number;
  /** The `RateLimit-Policy` and `RateLimit` header values. */
  readonly rateLimitHeaders: Readonly<Record<string, string>>;
  constructor(
    retryAfterSeconds: number,
    rateLimitHeaders: Readonly<Record<string, string>> = {},
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
    this.rateLimitHeaders = rateLimitHeaders;
  }
}
/** A missing, malformed or failing DPoP proof (RFC 9449 §4.3): 401 `invalid_dpop_proof`. */
export class DpopProofInvalidError extends errorClass(
  'ERR_DPOP_PROOF_INVALID',
  'The DPoP proof is not valid.',
) {}
/** RFC 9449 §8: the proof must carry the server's nonce, sent back in `DPoP-Nonce`: 401 `use_dpop_nonce`. */
export class DpopNonceRequiredError extends errorClass(
  'ERR_DPOP_NONCE_REQUIRED',
  'The DPoP proof must carry the server nonce.',
) {
  /** The nonce the client must put in its next proof. */
  readonly nonce: string;
  constructor(nonce: string, message?: string) {
    super(message);
    this.nonce = nonce;
  }
}
/** Verification infrastructure (JWKS, discovery, introspection, key store) unreachable: 503. */
export class UnavailableError extends errorClass(
  'ERR_UNAVAILABLE',
  'Authentication is temporarily unavailable.',
) {
  /** Seconds a client should wait before retrying (`Retry-After`). */
  readonly retryAfterSeconds: number;
  /** Why, when known (also found through `cause`): for operators, never sent to a client. */
  readonly fault?: Fault;
  constructor(message?: string, options?: { cause?: unknown; retryAfterSeconds?: number; fault?: Fault }) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 5;
    if (options?.fault) this.fault = options.fault;
  }
}
/**
 * Invalid options, thrown at start-up (or by `guard.ready()` for an issuer mismatch, with its
 * `fault`). Never sent to a client (it would map to a 500).
 */
export class ConfigInvalidError extends errorClass('ERR_CONFIG_INVALID', '') {
  /** The fault found by `guard.ready()` (an issuer mismatch with both values), when there is one. */
  readonly fault?: Fault;
  constructor(message: string, options?: { cause?: unknown; fault?: Fault }) {
    super(message, options);
    if (options?.fault) this.fault = options.fault;
  }
}

for (const refusal of [
  CredentialsMissingError,
  RequestInvalidError,
  BodyTooLargeError,
  TokenInvalidError,
  TokenExpiredError,
  ScopeInsufficientError,
  ApiKeyInvalidError,
  HttpsRequiredError,
  CsrfRejectedError,
  RateLimitedError,
  DpopProofInvalidError,
  DpopNonceRequiredError,
]) {
  refusals.add(refusal);
}

/** The union of every concrete restguard error. */
export type AnyRestguardError =
  | CredentialsMissingError
  | RequestInvalidError
  | BodyTooLargeError
  | TokenInvalidError
  | TokenExpiredError
  | ScopeInsufficientError
  | ApiKeyInvalidError
  | HttpsRequiredError
  | CsrfRejectedError
  | RateLimitedError
  | DpopProofInvalidError
  | DpopNonceRequiredError
  | UnavailableError
  | ConfigInvalidError;

/** An HTTP answer that an adapter writes out verbatim. */
export interface HttpAnswer {
  status: number;
  /** Lower-case header names. An array value is sent as repeated headers (`set-cookie`). */
  headers: Record<string, string | string[]>;
  /** The body, already serialised (problem+json, HTML or empty). */
  body: string;
}

/** Options that shape every challenge. */
export interface ChallengeOptions {
  /** The `realm` of the `WWW-Authenticate` challenge. Default `restguard`. */
  realm?: string;
  /** RFC 9728 §5.1: URL of the protected-resource metadata, sent as `resource_metadata`. */
  resourceMetadataUrl?: string;
  /**
   * RFC 9449 §7.1: the proof algorithms accepted. When set, a `DPoP algs="…"` challenge goes out beside
   * `Bearer` (in the same `WWW-Authenticate` value).
   */
  dpopAlgorithms?: readonly string[];
  /** The scheme the refused request used (`dpop` puts the error on the DPoP challenge). Default `bearer`. */
  scheme?: 'bearer' | 'dpop';
}

interface Row {
  status: number;
  /** RFC 6750 §3.1 error code, or undefined for the bare challenge. */
  error?: string;
  title: string;
  /** Whether a `WWW-Authenticate: Bearer` challenge goes out. */
  challenge: boolean;
  /** The problem type's last segment when there is no RFC 6750 error. */
  type?: string;
}

/** The single table: code → status, RFC 6750 error and problem title. */
// biome-ignore format: a table, one row a line
const table: Record<RestguardErrorCode, Row> = {
  ERR_CREDENTIALS_MISSING: { status: 401, title: 'Authentication required', challenge: true },
  ERR_REQUEST_INVALID: { status: 400, error: 'invalid_request', title: 'Invalid request', challenge: true },
  ERR_BODY_TOO_LARGE: { status: 413, title: 'Content Too Large', challenge: false, type: 'body_too_large' },
  ERR_TOKEN_INVALID: { status: 401, error: 'invalid_token', title: 'Invalid token', challenge: true },
  ERR_TOKEN_EXPIRED: { status: 401, error: 'invalid_token', title: 'Token expired', challenge: true },
  ERR_SCOPE_INSUFFICIENT: { status: 403, error: 'insufficient_scope', title: 'Insufficient scope', challenge: true },
  ERR_API_KEY_INVALID: { status: 401, error: 'invalid_token', title: 'Invalid API key', challenge: true },
  ERR_HTTPS_REQUIRED: { status: 403, error: 'https_required', title: 'HTTPS required', challenge: false },
  ERR_CSRF_REJECTED: { status: 403, error: 'csrf_rejected', title: 'Cross-site request refused', challenge: false },
  ERR_RATE_LIMITED: { status: 429, error: 'rate_limited', title: 'Too many requests', challenge: false },
  ERR_DPOP_PROOF_INVALID: { status: 401, error: 'invalid_dpop_proof', title: 'Invalid DPoP proof', challenge: true },
  ERR_DPOP_NONCE_REQUIRED: { status: 401, error: 'use_dpop_nonce', title: 'DPoP nonce required', challenge: true },
  ERR_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable', title: 'Service unavailable', challenge: false },
  ERR_CONFIG_INVALID: { status: 500, title: 'Internal server error', challenge: false },
};

/** The media type of every error body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Quotes a value for an RFC 7235 auth-param (quoted-string): escapes `\` and `"`, drops controls. */
function quote(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters on purpose
  return `"${value.replace(/[\u0000-\u001f\u007f]/g, '').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Builds the `WWW-Authenticate` value for a Bearer challenge (RFC 6750 §3).
 * @example
 * bearerChallenge({ realm: 'api' }, 'invalid_token', 'The access token has expired.')
 * // 'Bearer realm="api", error="invalid_token", error_description="The access token has expired."'
 */
export function bearerChallenge(
  options: ChallengeOptions,
  error?: string,
  description?: string,
  scope?: readonly string[],
): string {
  const params = [`realm=${quote(options.realm ?? 'restguard')}`];
  if (error) params.push(`error=${quote(error)}`);
  if (error && description) params.push(`error_description=${quote(description)}`);
  if (scope && scope.length > 0) params.push(`scope=${quote(scope.join(' '))}`);
  if (options.resourceMetadataUrl) params.push(`resource_metadata=${quote(options.resourceMetadataUrl)}`);
  return `Bearer ${params.join(', ')}`;
}

/**
 * The `WWW-Authenticate` value: the Bearer challenge, and with DPoP on the RFC 9449 §7.1 `DPoP`
 * challenge beside it. The error goes on the challenge of the scheme the request used (DPoP errors
 * always on DPoP's); the other challenge stays bare.
 */
function challengeValue(
  code: RestguardErrorCode,
  options: ChallengeOptions,
  error?: string,
  description?: string,
  scope?: readonly string[],
): string {
  if (!options.dpopAlgorithms) return bearerChallenge(options, error, description, scope);
  const onDpop = options.scheme === 'dpop' || code.startsWith('ERR_DPOP_');
  const bearer = onDpop ? bearerChallenge(options) : bearerChallenge(options, error, description, scope);
  const dpop = onDpop
    ? dpopChallenge(options.dpopAlgorithms, error, description, scope)
    : dpopChallenge(options.dpopAlgorithms);
  return `${bearer}, ${dpop}`;
}

/**
 * Builds an RFC 9449 §7.1 `DPoP` challenge: `algs` first, then the error attributes.
 * @example
 * dpopChallenge(['ES256', 'EdDSA'], 'invalid_dpop_proof', 'The DPoP proof is not valid.')
 * // 'DPoP algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="The DPoP proof is not valid."'
 */
export function dpopChallenge(
  algorithms: readonly string[],
  error?: string,
  description?: string,
  scope?: readonly string[],
): string {
  const params = [`algs=${quote(algorithms.join(' '))}`];
  if (error) params.push(`error=${quote(error)}`);
  if (error && description) params.push(`error_description=${quote(description)}`);
  if (scope && scope.length > 0) params.push(`scope=${quote(scope.join(' '))}`);
  return `DPoP ${params.join(', ')}`;
}

/**
 * A problem+json answer (RFC 9457) for any status, for the framework's own 404/405/415 and the like.
 * `extra.type` replaces the default `about:blank`; other members of `extra` are extension members.
 * @example
 * const answer = problemAnswer(404, 'Not Found', 'No route matches GET /nope.');
 */
export function problemAnswer(
  status: number,
  title: string,
  detail?: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string | string[]> = {},
): HttpAnswer {
  const { type = 'about:blank', ...rest } = extra;
  const body = { type, title, status, ...(detail ? { detail } : {}), ...rest };
  return {
    status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * Turns any error into the HTTP answer to send. A restguard error maps through the table; anything
 * else becomes a 500 problem without detail (never a stack trace or a message).
 * @example
 * const { status, headers, body } = toChallenge(err, { realm: 'notes' });
 */
export function toChallenge(err: unknown, options: ChallengeOptions = {}): HttpAnswer {
  if (!isRestguardError(err) || err.code === 'ERR_CONFIG_INVALID') {
    return problemAnswer(500, 'Internal server error');
  }
  const row = table[err.code];
  const headers: Record<string, string> = {};
  const scope = err.code === 'ERR_SCOPE_INSUFFICIENT' ? err.requiredScopes : undefined;
  const description = err.code === 'ERR_CREDENTIALS_MISSING' ? undefined : err.message;
  if (row.challenge)
    headers['www-authenticate'] = challengeValue(err.code, options, row.error, description, scope);
  if (err.code === 'ERR_DPOP_NONCE_REQUIRED') headers['dpop-nonce'] = err.nonce;
  if (err.code === 'ERR_UNAVAILABLE') headers['retry-after'] = String(err.retryAfterSeconds);
  if (err.code === 'ERR_RATE_LIMITED') {
    headers['retry-after'] = String(err.retryAfterSeconds);
    Object.assign(headers, err.rateLimitHeaders);
  }
  const extra: Record<string, unknown> = {};
  if (row.error) extra.error = row.error;
  if (scope) extra.scope = scope.join(' ');
  const type = `urn:restguard:problem:${row.error ?? row.type ?? 'authentication_required'}`;
  return problemAnswer(row.status, row.title, err.message, { type, ...extra }, headers);
}
