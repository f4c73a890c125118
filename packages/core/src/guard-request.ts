/**
 * The guard's steps for one request, module-level functions over the {@link GuardParts} that
 * `createGuard` builds once: TLS policy, credential, verification, rate limit, authorization, and
 * the refusal (with its events) when any step says no.
 */

import type { ApiKeyVerifier } from './api-key/index.js';
import type { ClientCertificateVerifier } from './client-certificate/index.js';
import { type Credential, extractCredential, queryCarriesCredential } from './credentials.js';
import type { DpopVerifier } from './dpop/index.js';
import {
  type ChallengeOptions,
  CredentialsMissingError,
  type HttpAnswer,
  HttpsRequiredError,
  isRestguardError,
  RateLimitedError,
  toChallenge,
  UnavailableError,
} from './errors.js';
import { type AuthEvent, pathOf } from './events.js';
import { faultOf } from './fault.js';
import type { Decision, GuardOptions } from './guard.js';
import type { MetadataRoute } from './metadata/index.js';
import type { RouteRegistry } from './openapi/registry.js';
import type { Principal } from './principal.js';
import {
  type checkRateLimitOptions,
  type RateLimitState,
  rateLimitFor,
  rateLimitHeaders,
} from './rate-limit/limiter.js';
import { type AuthRequest, firstHeader } from './request.js';
import { authorize, type ScopeRequirement } from './scope/evaluate.js';
import type { SessionManager } from './session/index.js';
import type { createDecisionTelemetry, DecisionNote } from './telemetry.js';
import type { TlsPolicy } from './tls/index.js';
import { checkCertificateBinding } from './tls/index.js';
import type { TokenVerifier } from './token/index.js';

/** What a guard is made of: built once from its options by `createGuard`, shared by every request. */
export interface GuardParts {
  readonly options: GuardOptions;
  /** Longest credential accepted (`maxCredentialLength`). */
  readonly maxLength: number;
  /** Which schemes the credential extraction accepts beside `Bearer`. */
  readonly accept: { readonly dpop: boolean };
  readonly tokens: TokenVerifier | undefined;
  readonly apiKeys: ApiKeyVerifier | undefined;
  readonly sessions: SessionManager | undefined;
  readonly certificates: ClientCertificateVerifier | undefined;
  readonly tls: TlsPolicy | undefined;
  readonly limits: ReturnType<typeof checkRateLimitOptions> | undefined;
  readonly dpop: DpopVerifier | undefined;
  /** The RFC 9728 metadata route built from the options. */
  readonly metadata: MetadataRoute | undefined;
  /** The metadata route to serve now (its `scopes_supported` follows the route registry). */
  readonly metadataRoute: () => MetadataRoute | undefined;
  readonly routes: RouteRegistry;
  readonly challengeOptions: ChallengeOptions;
  /** Calls `onEvent`, swallowing its failures. */
  readonly emit: (event: AuthEvent) => void;
  /** Faults already logged (bounded): each distinct one goes out once as a `fault` event. */
  readonly loggedFaults: Set<string>;
  readonly telemetry: ReturnType<typeof createDecisionTelemetry>;
}

type Headers = Record<string, string | string[]>;

/** One decision; `note` tells the telemetry its outcome, credential kind and error code. */
export async function decide(
  parts: GuardParts,
  request: AuthRequest,
  requirement: ScopeRequirement | undefined,
  note: DecisionNote,
): Promise<Decision> {
  const { tls, apiKeys } = parts;
  let credential: Credential | null = null;
  const headers: Headers = {};
  try {
    // TLS first: HSTS goes on every HTTPS answer (RFC 6797), malformed-request refusals included.
    const secure = tls ? tls.secure(request) : true;
    if (tls?.hsts && secure) headers['strict-transport-security'] = tls.hsts;
    if (tls && !secure && queryCarriesCredential(request.url)) {
      parts.emit({
        type: 'credential_exposed',
        source: 'query',
        method: request.method,
        path: pathOf(request.url),
      });
      throw new HttpsRequiredError();
    }
    credential = extractCredential(request, parts.maxLength, parts.accept);
    if (credential) {
      note.credentialKind =
        credential.source === 'x-api-key' || apiKeys?.isApiKey(credential.value) ? 'apiKey' : 'token';
    }
    if (tls && !secure) return await refuseInsecure(parts, tls, request, credential, note);
    const principal = credential
      ? await verifyCredential(parts, credential, request)
      : await withoutCredential(parts, request, headers);
    if (principal) {
      if (parts.options.onEvent) emitAuthenticated(parts, principal, request);
      note.credentialKind = principal.kind;
      if (parts.limits) await applyRateLimit(parts, parts.limits, principal, request, headers);
    }
    if (requirement !== undefined) authorize(principal, requirement);
    if (credential?.scheme === 'dpop' && parts.dpop) {
      // RFC 9449 §8.2: a fresh nonce may go out on any answer; the client uses it next time.
      const nonce = await parts.dpop.nonce();
      if (nonce) headers['dpop-nonce'] = nonce;
    }
    note.outcome = 'allow';
    return { allow: true, principal, headers };
  } catch (err) {
    note.errorCode = isRestguardError(err) ? err.code : 'ERR_INTERNAL';
    const answer = refuse(parts, err, request, credential);
    Object.assign(answer.headers, headers);
    return { allow: false, answer };
  }
}

/**
 * A request over plain HTTP under the TLS policy: a credential on it is exposed (an API key is
 * revoked when the policy says so) and refused; without one, the policy's own answer.
 */
async function refuseInsecure(
  parts: GuardParts,
  tls: TlsPolicy,
  request: AuthRequest,
  credential: Credential | null,
  note: DecisionNote,
): Promise<Decision> {
  if (credential) {
    const exposed = parts.apiKeys?.isApiKey(credential.value)
      ? await parts.apiKeys.exposed(credential.value, tls.revokeExposedApiKeys)
      : null;
    parts.emit({
      type: 'credential_exposed',
      source: credential.source,
      ...(exposed ? { apiKeyId: exposed.id, revoked: exposed.revoked } : {}),
      method: request.method,
      path: pathOf(request.url),
    });
    throw new HttpsRequiredError();
  }
  note.errorCode = 'ERR_HTTPS_REQUIRED';
  return { allow: false, answer: tls.insecureAnswer(request) };
}

function emitAuthenticated(parts: GuardParts, principal: Principal, request: AuthRequest): void {
  parts.emit({
    type: 'authenticated',
    kind: principal.kind,
    subject: principal.subject,
    method: request.method,
    path: pathOf(request.url),
  });
}

/** A header credential → its principal: a DPoP-bound token, an API key, or a bearer token. */
export async function verifyCredential(
  parts: GuardParts,
  credential: Credential,
  request: AuthRequest,
): Promise<Principal> {
  const { tokens, apiKeys, dpop, tls } = parts;
  if (credential.scheme === 'dpop') {
    // RFC 9449 §7.1: the DPoP scheme carries access tokens only.
    if (!tokens) throw new CredentialsMissingError('DPoP tokens are not accepted here.');
    const principal = await tokens.verify(credential.value);
    await dpop!.check(request, credential.value, 'dpop', principal, originOf(parts, request));
    return principal;
  }
  if (apiKeys && (credential.source === 'x-api-key' || apiKeys.isApiKey(credential.value))) {
    return apiKeys.verify(credential.value);
  }
  if (credential.source === 'x-api-key') throw new CredentialsMissingError('API keys are not accepted here.');
  if (!tokens) throw new CredentialsMissingError('Bearer tokens are not accepted here.');
  const principal = await tokens.verify(credential.value);
  if (dpop) await dpop.check(request, credential.value, 'bearer', principal, originOf(parts, request));
  if (principal.claims?.cnf !== undefined) {
    await checkCertificateBinding(
      principal.claims,
      tls ? tls.clientCertificate(request) : request.clientCertificate,
    );
  }
  return principal;
}

/** The origin a client called, for DPoP's `htu`: configured, else `Host` with the scheme seen. */
function originOf(parts: GuardParts, request: AuthRequest): string {
  const { tls } = parts;
  const configured = parts.dpop?.options.origin ?? tls?.publicOrigin;
  if (configured) return configured;
  const host = firstHeader(request, 'host') ?? firstHeader(request, ':authority') ?? '';
  return `${(tls ? tls.secure(request) : request.tls) ? 'https' : 'http'}://${host}`;
}

/**
 * A request without a header credential: its client certificate, its session, else anonymous
 * (`optional`) or refused. Cookies to set (a refreshed or an ended session) go into `headers` when
 * given, refusal included.
 */
export async function withoutCredential(
  parts: GuardParts,
  request: AuthRequest,
  headers?: Headers,
): Promise<Principal | null> {
  const { certificates, sessions, tls } = parts;
  // A verified client certificate is a credential of its own (before a session cookie).
  const certificate = certificates
    ? tls
      ? tls.clientCertificate(request)
      : request.clientCertificate
    : undefined;
  if (certificates && certificate && certificate.length > 0) return certificates.verify(certificate);
  const session = sessions ? await sessions.authenticate(request) : null;
  // An ended session (expired, logged out, refresh refused) is anonymous; its cookies are cleared.
  const setCookies = session?.setCookies ?? [];
  if (headers && setCookies.length > 0) headers['set-cookie'] = setCookies;
  if (session?.principal) return session.principal;
  if (parts.options.optional) return null;
  throw new CredentialsMissingError();
}

/**
 * Counts an authenticated request against its budget: adds the RateLimit headers, or throws 429. A
 * store that fails follows `onStoreError` (default: let the request through) and emits an event.
 */
async function applyRateLimit(
  parts: GuardParts,
  limits: NonNullable<GuardParts['limits']>,
  principal: Principal,
  request: AuthRequest,
  headers: Headers,
): Promise<void> {
  const applied = rateLimitFor(principal, limits.default, limits.by);
  if (!applied) return;
  let state: RateLimitState;
  try {
    state = await limits.backend.consume(applied.key, applied.limit);
  } catch (cause) {
    const policy = limits.onStoreError;
    parts.emit({ type: 'rate_limit_unavailable', policy, method: request.method, path: pathOf(request.url) });
    if (policy === 'deny') throw new UnavailableError(undefined, { cause, retryAfterSeconds: 5 });
    return;
  }
  const values = rateLimitHeaders(applied, state);
  if (!state.allowed) throw new RateLimitedError(state.resetSeconds, values);
  Object.assign(headers, values);
}

/** The answer to a refused request, with its `rejected` event (and a `fault` event once per fault). */
export function refuse(
  parts: GuardParts,
  err: unknown,
  request: AuthRequest,
  credential?: Credential | null,
  scheme = credential?.scheme,
): HttpAnswer {
  const { challengeOptions } = parts;
  const answer = toChallenge(err, scheme === 'dpop' ? { ...challengeOptions, scheme } : challengeOptions);
  if (parts.options.onEvent && isRestguardError(err)) {
    const cause = err.code === 'ERR_UNAVAILABLE' ? faultOf(err) : undefined;
    if (cause) {
      const key = JSON.stringify([cause.kind, cause.url, cause.status, cause.expected, cause.actual]);
      if (!parts.loggedFaults.has(key) && parts.loggedFaults.size < 1000) {
        parts.loggedFaults.add(key);
        parts.emit({ type: 'fault', level: 'warn', fault: cause, message: cause.message });
      }
    }
    parts.emit({
      type: 'rejected',
      code: err.code,
      status: answer.status,
      ...(credential ? { source: credential.source } : {}),
      ...(cause ? { cause } : {}),
      method: request.method,
      path: pathOf(request.url),
    });
  }
  return answer;
}

/** `guard.enforce`: the authorization step for a route; null when allowed, else the answer. */
export function enforce(
  parts: GuardParts,
  principal: Principal | null | undefined,
  requirement: ScopeRequirement,
  request: AuthRequest | (() => AuthRequest) | undefined,
): HttpAnswer | null {
  try {
    authorize(principal, requirement);
    return null;
  } catch (err) {
    // The request (built lazily when given as a function) only names the refusal's event.
    const refused = typeof request === 'function' ? request() : request;
    if (!refused) return toChallenge(err, parts.challengeOptions);
    // A request that came with the DPoP scheme gets the error on its DPoP challenge (RFC 9449 §7.1).
    const scheme =
      parts.dpop && /^dpop /i.test(refused.headers('authorization')[0] ?? '') ? 'dpop' : undefined;
    return refuse(parts, err, refused, null, scheme);
  }
}

/** `guard.handleAuthRoute`: the RFC 9728 metadata (over HTTPS only) and the browser-login routes. */
export async function handleAuthRoute(parts: GuardParts, request: AuthRequest): Promise<HttpAnswer | null> {
  const { tls, sessions } = parts;
  // The metadata is public, but over HTTPS only: plain HTTP falls through to the TLS policy.
  if (parts.metadata && (!tls || tls.secure(request))) {
    const answer = parts.metadataRoute()!.answer(request);
    if (answer) {
      if (tls?.hsts) answer.headers['strict-transport-security'] = tls.hsts;
      return answer;
    }
  }
  if (!sessions) return null;
  const answer = await sessions.handle(request);
  if (answer && tls?.hsts && tls.secure(request)) answer.headers['strict-transport-security'] = tls.hsts;
  return answer;
}
