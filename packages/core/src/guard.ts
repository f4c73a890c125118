/**
 * The guard: the one place an auth decision is made. It composes the TLS policy, credential
 * extraction, the token, API-key and session verifiers and the authorization step, and answers each
 * request with a {@link Decision} that an adapter only has to write out.
 */

import type { ApiKeyOptions } from './api-key/index.js';
import { createApiKeyVerifier } from './api-key/index.js';
import { API_KEY_CACHE_OPTION_KEYS, API_KEY_OPTION_KEYS } from './api-key/verifier.js';
import {
  type ClientCertificateOptions,
  createClientCertificateVerifier,
} from './client-certificate/index.js';
import { CLIENT_CERTIFICATE_OPTION_KEYS } from './client-certificate/verifier.js';
import { DEFAULT_MAX_CREDENTIAL_LENGTH, extractCredential } from './credentials.js';
import { createDpopVerifier, type DpopOptions, type DpopVerifier } from './dpop/index.js';
import { type ChallengeOptions, ConfigInvalidError, type HttpAnswer, toChallenge } from './errors.js';
import { type AuthEvent, type AuthEventListener, pathOf } from './events.js';
import {
  decide,
  enforce,
  type GuardParts,
  handleAuthRoute,
  verifyCredential,
  withoutCredential,
} from './guard-request.js';
import {
  createMetadataRoute,
  type MetadataRoute,
  type ProtectedResourceMetadataInput,
  protectedResourceMetadataUrl,
} from './metadata/index.js';
import type { ProtectedResourceOptions } from './metadata/serve.js';
import { createRouteRegistry, type RouteRegistry } from './openapi/registry.js';
import { optionKeys, refuseUnknownNestedOptions, refuseUnknownOptions } from './options-check.js';
import type { Principal } from './principal.js';
import { checkRateLimitOptions, type RateLimitOptions } from './rate-limit/limiter.js';
import type { AuthRequest } from './request.js';
import type { ScopeRequirement } from './scope/evaluate.js';
import type { SessionOptions } from './session/index.js';
import { createSessionManager } from './session/index.js';
import { SESSION_OPTION_KEYS, SESSION_PATH_KEYS } from './session/options.js';
import { createDecisionTelemetry, instrumentStore } from './telemetry.js';
import type { TlsPolicyOptions } from './tls/index.js';
import { createTlsPolicy } from './tls/index.js';
import type { TokenOptions, TokenVerifier } from './token/index.js';
import { createTokenVerifier } from './token/index.js';

/**
 * Every option restguard takes. Each adapter accepts exactly this object.
 * @example
 * const guard = createGuard({
 *   tokens: { issuers: [{ issuer: 'https://idp.example', audience: 'https://api.example' }] },
 *   apiKeys: { store, prefix: 'rg_live' },
 *   optional: true,
 * });
 */
export interface GuardOptions extends ChallengeOptions {
  /** JWT access tokens (JWKS or discovery) and opaque tokens (introspection). */
  tokens?: TokenOptions;
  /** restguard API keys, checked against a store. */
  apiKeys?: ApiKeyOptions;
  /** Browser sessions from the OIDC login flow. */
  sessions?: SessionOptions;
  /**
   * Client certificates as a credential of their own: a verified client certificate (the server
   * asks for one; see `createHttpsServer`'s `requestCert`) on a request without a header credential
   * maps to the principal of the store's rule that allows it.
   */
  clientCertificates?: ClientCertificateOptions;
  /** TLS policy. Default: enforced (no credential over plain HTTP, HSTS). `false` turns it off. */
  tls?: TlsPolicyOptions | false;
  /** No credential → anonymous (`principal: null`). Bad credentials are still refused. */
  optional?: boolean;
  /** Longest credential accepted, checked before any cryptography. Default 8192. */
  maxCredentialLength?: number;
  /**
   * Per-credential rate limits: an API key's own (stored with it), else `default` per token subject or
   * client. 429 with `Retry-After` and `RateLimit` headers; see `RateLimitOptions`.
   */
  rateLimit?: RateLimitOptions;
  /** Receives authenticated / rejected / credential_exposed events. */
  onEvent?: AuthEventListener;
  /**
   * DPoP (RFC 9449): accept `Authorization: DPoP <token>` with a `DPoP` proof, refuse DPoP-bound
   * tokens sent as bearer tokens, and answer with a `DPoP algs="…"` challenge beside `Bearer`.
   */
  dpop?: DpopOptions;
  /**
   * RFC 9728: serve the protected-resource metadata at `/.well-known/oauth-protected-resource` (and
   * the §3.1 path-suffixed form). Without `resourceMetadataUrl`, challenges point at the §3.1 URL.
   */
  protectedResource?: ProtectedResourceOptions;
}

/**
 * Every key of {@link GuardOptions}: anything else is refused at start-up (a typo is never ignored).
 * `dpopAlgorithms` and `scheme` come from {@link ChallengeOptions} but are the guard's own (from
 * `dpop` and the request), never options.
 */
const GUARD_OPTION_KEYS = optionKeys<Omit<GuardOptions, 'dpopAlgorithms' | 'scheme'>>({
  tokens: true,
  apiKeys: true,
  sessions: true,
  clientCertificates: true,
  tls: true,
  optional: true,
  maxCredentialLength: true,
  rateLimit: true,
  onEvent: true,
  realm: true,
  resourceMetadataUrl: true,
  dpop: true,
  protectedResource: true,
});

/**
 * Refuses an unknown key in `createGuard`'s options and in the options objects nested in them, each
 * named by its path (`apiKeys.cache`, `sessions.paths`, …). `tokens`, `tls`, `rateLimit`, `dpop` and
 * `protectedResource` are checked (the same way) where they are validated, so their own entry points
 * (`resolveDpopOptions`, `createTlsPolicy`, …) refuse unknown keys too.
 */
function refuseUnknownGuardOptions(options: GuardOptions): void {
  refuseUnknownOptions(options, GUARD_OPTION_KEYS, 'createGuard');
  const { apiKeys, sessions } = options;
  refuseUnknownNestedOptions(apiKeys, API_KEY_OPTION_KEYS, 'apiKeys');
  refuseUnknownNestedOptions(apiKeys?.cache, API_KEY_CACHE_OPTION_KEYS, 'apiKeys.cache');
  refuseUnknownNestedOptions(sessions, SESSION_OPTION_KEYS, 'sessions');
  refuseUnknownNestedOptions(sessions?.paths, SESSION_PATH_KEYS, 'sessions.paths');
  refuseUnknownNestedOptions(
    options.clientCertificates,
    CLIENT_CERTIFICATE_OPTION_KEYS,
    'clientCertificates',
  );
}

/** A guard's answer to one request. */
export type Decision =
  | {
      readonly allow: true;
      /** null for an anonymous request under `optional`. */
      readonly principal: Principal | null;
      /** Headers to add to whatever response follows (HSTS, a refreshed session cookie). */
      readonly headers: Record<string, string | string[]>;
    }
  | { readonly allow: false; readonly answer: HttpAnswer };

/** A configured guard. Build one at start-up and share it; it holds caches and JWKS clients. */
export interface Guard {
  /** The options it was built with. */
  readonly options: Readonly<GuardOptions>;
  /**
   * Decides one request: TLS policy, then the credential, then (when given) the requirement.
   * Never throws for anything a client did: refusals come back as `{ allow: false, answer }`.
   */
  decide(request: AuthRequest, requirement?: ScopeRequirement): Promise<Decision>;
  /** Authenticates without the TLS policy; throws a restguard error. null: anonymous (optional). */
  authenticate(request: AuthRequest): Promise<Principal | null>;
  /** The authorization step for a route: null when allowed, else the answer to send. */
  enforce(
    principal: Principal | null | undefined,
    requirement?: ScopeRequirement,
    request?: AuthRequest | (() => AuthRequest),
  ): HttpAnswer | null;
  /** The answer for an error (restguard's or anything else: a 500 problem without detail). */
  challenge(err: unknown): HttpAnswer;
  /** Handles the browser-login routes (`/auth/login`, …); null when the request is not one. */
  handleAuthRoute(request: AuthRequest): Promise<HttpAnswer | null>;
  /**
   * False when {@link handleAuthRoute} can only answer null (no `sessions`): an adapter may then skip
   * the call on every request.
   */
  readonly handlesAuthRoutes: boolean;
  /**
   * Resolves discovery and the JWKS of every configured issuer now, instead of on the first request.
   * Throws `ConfigInvalidError` naming an issuer mismatch (`err.fault.expected`, `err.fault.actual`),
   * `UnavailableError` for an unreachable, failing or malformed endpoint (`err.fault`: DNS, TLS, HTTP
   * status, timeout, JSON shape). Call it at start-up to fail fast; `restguard check` does the same.
   */
  ready(): Promise<void>;
  /**
   * The routes this guard protects and what each needs, recorded by the adapters: the source of the
   * OpenAPI document (`guardOpenApiDocument`) and of RFC 9728 `scopes_supported` (`routes.scopes()`).
   */
  readonly routes: RouteRegistry;
  /** Flushes write-behind work (API-key `lastUsedAt`) and releases resources. */
  close(): Promise<void>;
}

/** The API-key store calls whose latency and failures are recorded (OpenTelemetry). */
const STORE_CALLS = ['findByHash', 'findById', 'touch', 'rehash', 'revoke'] as const;

/**
 * Builds a guard, checking every option now: invalid options throw {@link ConfigInvalidError} at
 * start-up, never per request.
 * @example
 * const guard = createGuard({ tokens: { issuers: [{ issuer, audience }] } });
 * const decision = await guard.decide(request, ['read']);
 */
export function createGuard(options: GuardOptions): Guard {
  checkGuardOptions(options);
  return guardOf(buildGuardParts(options));
}

/** The checks made before anything is built: an options object, no unknown key, a credential kind. */
function checkGuardOptions(options: GuardOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigInvalidError('createGuard needs an options object.');
  }
  refuseUnknownGuardOptions(options);
  if (!options.tokens && !options.apiKeys && !options.sessions && !options.clientCertificates) {
    throw new ConfigInvalidError(
      'createGuard needs at least one of tokens, apiKeys, sessions or clientCertificates.',
    );
  }
}

/** Options → parts: every verifier, policy and cache the options configure, built once. */
function buildGuardParts(options: GuardOptions): GuardParts {
  const tokens: TokenVerifier | undefined = options.tokens ? createTokenVerifier(options.tokens) : undefined;
  const dpop: DpopVerifier | undefined = options.dpop ? createDpopVerifier(options.dpop) : undefined;
  const metadata: MetadataRoute | undefined = options.protectedResource
    ? createMetadataRoute(protectedResourceInput(options, dpop))
    : undefined;
  const routes = createRouteRegistry();
  return {
    options,
    maxLength: options.maxCredentialLength ?? DEFAULT_MAX_CREDENTIAL_LENGTH,
    accept: { dpop: options.dpop !== undefined },
    tokens,
    apiKeys: options.apiKeys
      ? createApiKeyVerifier({
          ...options.apiKeys,
          store: instrumentStore(options.apiKeys.store, STORE_CALLS),
        })
      : undefined,
    // A session's scopes follow the token verifier's rules when there is one (the same token, the same scopes).
    sessions: options.sessions
      ? createSessionManager(
          options.sessions,
          tokens ? { scopesOf: async (accessToken) => (await tokens.verify(accessToken)).scopes } : {},
        )
      : undefined,
    certificates: options.clientCertificates
      ? createClientCertificateVerifier(options.clientCertificates)
      : undefined,
    tls: options.tls === false ? undefined : createTlsPolicy(options.tls ?? {}),
    limits: options.rateLimit ? checkRateLimitOptions(options.rateLimit) : undefined,
    dpop,
    metadata,
    metadataRoute: metadataRouteSource(options, dpop, metadata, routes),
    routes,
    challengeOptions: {
      realm: options.realm,
      resourceMetadataUrl:
        options.resourceMetadataUrl ??
        (metadata ? protectedResourceMetadataUrl(metadata.document.resource) : undefined),
      ...(dpop ? { dpopAlgorithms: dpop.options.algorithms } : {}),
    },
    emit: emitterOf(options.onEvent),
    loggedFaults: new Set(),
    telemetry: createDecisionTelemetry(),
  };
}

/** Parts → the returned guard: each method is one of the module-level steps below. */
function guardOf(parts: GuardParts): Guard {
  const { options, tokens, apiKeys, sessions, dpop, telemetry } = parts;
  return {
    options,
    decide: (request, requirement) =>
      telemetry.record(request.method, pathOf(request.url), (note) =>
        decide(parts, request, requirement, note),
      ),
    async authenticate(request) {
      const credential = extractCredential(request, parts.maxLength, parts.accept);
      return credential ? verifyCredential(parts, credential, request) : withoutCredential(parts, request);
    },
    enforce: (principal, requirement = [], request) => enforce(parts, principal, requirement, request),
    handlesAuthRoutes: sessions !== undefined || parts.metadata !== undefined,
    routes: parts.routes,
    challenge: (err) => toChallenge(err, parts.challengeOptions),
    handleAuthRoute: (request) => handleAuthRoute(parts, request),
    async ready() {
      await Promise.all([tokens?.ready(), sessions?.ready()]);
    },
    async close() {
      await Promise.all([tokens?.close(), apiKeys?.close(), sessions?.close(), dpop?.close()]);
    },
  };
}

/** The metadata document's input: the option, with issuers and DPoP members filled from the config. */
function protectedResourceInput(
  options: GuardOptions,
  dpop: DpopVerifier | undefined,
): ProtectedResourceMetadataInput {
  const input = options.protectedResource!;
  const issuers = options.tokens?.issuers.map((trusted) => trusted.issuer);
  const required = issuers?.every((issuer) => dpop?.options.policy(issuer) === 'required') === true;
  return {
    ...(issuers ? { authorizationServers: issuers } : {}),
    ...(dpop
      ? { dpopSigningAlgValuesSupported: dpop.options.algorithms, dpopBoundAccessTokensRequired: required }
      : {}),
    ...input,
  };
}

/**
 * RFC 9728 `scopes_supported`: when the option leaves it out, the scopes the routes enforce (the
 * route registry), rebuilt when they change. The document built from the options stays the fallback.
 */
function metadataRouteSource(
  options: GuardOptions,
  dpop: DpopVerifier | undefined,
  metadata: MetadataRoute | undefined,
  routes: RouteRegistry,
): () => MetadataRoute | undefined {
  let fromRoutes: { key: string; route: MetadataRoute } | undefined;
  return () => {
    if (!metadata || options.protectedResource?.scopesSupported !== undefined) return metadata;
    const scopes = routes.scopes();
    if (scopes.length === 0) return metadata;
    const key = scopes.join(' ');
    if (fromRoutes?.key !== key) {
      const input = { ...protectedResourceInput(options, dpop), scopesSupported: scopes };
      fromRoutes = { key, route: createMetadataRoute(input) };
    }
    return fromRoutes.route;
  };
}

/** The event listener, called so that its failure never changes a decision. */
function emitterOf(onEvent: AuthEventListener | undefined): (event: AuthEvent) => void {
  return (event) => {
    try {
      onEvent?.(event);
    } catch {
      // a listener's failure never changes a decision
    }
  };
}
