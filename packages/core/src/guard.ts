/**
 * The guard: the one place an auth decision is made. It composes the TLS policy, credential
 * extraction, the token, API-key and session verifiers and the authorization step, and answers each
 * request with a {@link Decision} that an adapter only has to write out.
 */

import type { ApiKeyOptions, ApiKeyVerifier } from './api-key/index.js';
import { createApiKeyVerifier } from './api-key/index.js';
import {
  type ClientCertificateOptions,
  type ClientCertificateVerifier,
  createClientCertificateVerifier,
} from './client-certificate/index.js';
import {
  type Credential,
  DEFAULT_MAX_CREDENTIAL_LENGTH,
  extractCredential,
  queryCarriesCredential,
} from './credentials.js';
import { createDpopVerifier, type DpopOptions, type DpopVerifier } from './dpop/index.js';
import {
  type ChallengeOptions,
  ConfigInvalidError,
  CredentialsMissingError,
  type HttpAnswer,
  HttpsRequiredError,
  isRestguardError,
  RateLimitedError,
  toChallenge,
  UnavailableError,
} from './errors.js';
import { type AuthEvent, type AuthEventListener, pathOf } from './events.js';
import { faultOf } from './fault.js';
import {
  createMetadataRoute,
  type MetadataRoute,
  type ProtectedResourceMetadataInput,
  protectedResourceMetadataUrl,
} from './metadata/index.js';
import type { ProtectedResourceOptions } from './metadata/serve.js';
import { createRouteRegistry, type RouteRegistry } from './openapi/registry.js';
import { refuseUnknownOptions } from './options-check.js';
import type { Principal } from './principal.js';
import {
  checkRateLimitOptions,
  type RateLimitOptions,
  type RateLimitState,
  rateLimitFor,
  rateLimitHeaders,
} from './rate-limit/limiter.js';
import { type AuthRequest, firstHeader } from './request.js';
import { authorize, type ScopeRequirement } from './scope/evaluate.js';
import type { SessionManager, SessionOptions } from './session/index.js';
import { createSessionManager } from './session/index.js';
import type { TlsPolicy, TlsPolicyOptions } from './tls/index.js';
import { checkCertificateBinding, createTlsPolicy } from './tls/index.js';
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

/** Every key of {@link GuardOptions}: anything else is refused at start-up (a typo is never ignored). */
const GUARD_OPTION_KEYS: readonly (keyof GuardOptions)[] = [
  'tokens',
  'apiKeys',
  'sessions',
  'clientCertificates',
  'tls',
  'optional',
  'maxCredentialLength',
  'rateLimit',
  'onEvent',
  'realm',
  'resourceMetadataUrl',
  'dpop',
  'protectedResource',
];

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

/**
 * Builds a guard, checking every option now: invalid options throw {@link ConfigInvalidError} at
 * start-up, never per request.
 * @example
 * const guard = createGuard({ tokens: { issuers: [{ issuer, audience }] } });
 * const decision = await guard.decide(request, ['read']);
 */
export function createGuard(options: GuardOptions): Guard {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigInvalidError('createGuard needs an options object.');
  }
  refuseUnknownOptions(options, GUARD_OPTION_KEYS, 'createGuard');
  if (!options.tokens && !options.apiKeys && !options.sessions && !options.clientCertificates) {
    throw new ConfigInvalidError(
      'createGuard needs at least one of tokens, apiKeys, sessions or clientCertificates.',
    );
  }
  const maxLength = options.maxCredentialLength ?? DEFAULT_MAX_CREDENTIAL_LENGTH;
  const accept = { dpop: options.dpop !== undefined };
  const tokens: TokenVerifier | undefined = options.tokens ? createTokenVerifier(options.tokens) : undefined;
  const apiKeys: ApiKeyVerifier | undefined = options.apiKeys
    ? createApiKeyVerifier(options.apiKeys)
    : undefined;
  // A session's scopes follow the token verifier's rules when there is one (the same token, the same scopes).
  const sessions: SessionManager | undefined = options.sessions
    ? createSessionManager(
        options.sessions,
        tokens ? { scopesOf: async (accessToken) => (await tokens.verify(accessToken)).scopes } : {},
      )
    : undefined;
  const certificates: ClientCertificateVerifier | undefined = options.clientCertificates
    ? createClientCertificateVerifier(options.clientCertificates)
    : undefined;
  const tls: TlsPolicy | undefined = options.tls === false ? undefined : createTlsPolicy(options.tls ?? {});
  const limits = options.rateLimit ? checkRateLimitOptions(options.rateLimit) : undefined;
  const dpop: DpopVerifier | undefined = options.dpop ? createDpopVerifier(options.dpop) : undefined;
  const metadata: MetadataRoute | undefined = options.protectedResource
    ? createMetadataRoute(protectedResourceInput(options, dpop))
    : undefined;
  const routes = createRouteRegistry();
  /**
   * RFC 9728 `scopes_supported`: when the option leaves it out, the scopes the routes enforce (the
   * route registry), rebuilt when they change. The document built above stays the fallback.
   */
  let fromRoutes: { key: string; route: MetadataRoute } | undefined;
  const metadataRoute = (): MetadataRoute | undefined => {
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
  const challengeOptions: ChallengeOptions = {
    realm: options.realm,
    resourceMetadataUrl:
      options.resourceMetadataUrl ??
      (metadata ? protectedResourceMetadataUrl(metadata.document.resource) : undefined),
    ...(dpop ? { dpopAlgorithms: dpop.options.algorithms } : {}),
  };
  /** The origin a client called, for DPoP's `htu`: configured, else `Host` with the scheme seen. */
  const originOf = (request: AuthRequest): string => {
    const configured = dpop?.options.origin ?? tls?.publicOrigin;
    if (configured) return configured;
    const host = firstHeader(request, 'host') ?? firstHeader(request, ':authority') ?? '';
    return `${(tls ? tls.secure(request) : request.tls) ? 'https' : 'http'}://${host}`;
  };

  const emit = (event: AuthEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // a listener's failure never changes a decision
    }
  };
  /** Faults already logged (bounded): each distinct one goes out once as a `fault` event. */
  const loggedFaults = new Set<string>();
  const refuse = (
    err: unknown,
    request: AuthRequest,
    credential?: Credential | null,
    scheme = credential?.scheme,
  ): HttpAnswer => {
    const answer = toChallenge(err, scheme === 'dpop' ? { ...challengeOptions, scheme } : challengeOptions);
    if (options.onEvent && isRestguardError(err)) {
      const cause = err.code === 'ERR_UNAVAILABLE' ? faultOf(err) : undefined;
      if (cause) {
        const key = JSON.stringify([cause.kind, cause.url, cause.status, cause.expected, cause.actual]);
        if (!loggedFaults.has(key) && loggedFaults.size < 1000) {
          loggedFaults.add(key);
          emit({ type: 'fault', level: 'warn', fault: cause, message: cause.message });
        }
      }
      emit({
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
  };

  async function verify(credential: Credential, request: AuthRequest): Promise<Principal> {
    if (credential.scheme === 'dpop') {
      // RFC 9449 §7.1: the DPoP scheme carries access tokens only.
      if (!tokens) throw new CredentialsMissingError('DPoP tokens are not accepted here.');
      const principal = await tokens.verify(credential.value);
      await dpop!.check(request, credential.value, 'dpop', principal, originOf(request));
      return principal;
    }
    if (apiKeys && (credential.source === 'x-api-key' || apiKeys.isApiKey(credential.value))) {
      return apiKeys.verify(credential.value);
    }
    if (credential.source === 'x-api-key')
      throw new CredentialsMissingError('API keys are not accepted here.');
    if (!tokens) throw new CredentialsMissingError('Bearer tokens are not accepted here.');
    const principal = await tokens.verify(credential.value);
    if (dpop) await dpop.check(request, credential.value, 'bearer', principal, originOf(request));
    if (principal.claims?.cnf !== undefined) {
      await checkCertificateBinding(
        principal.claims,
        tls ? tls.clientCertificate(request) : request.clientCertificate,
      );
    }
    return principal;
  }

  /**
   * A request without a header credential: its client certificate, its session, else anonymous (`optional`) or refused. Cookies
   * to set (a refreshed or an ended session) go into `headers` when given, refusal included.
   */
  async function withoutCredential(
    request: AuthRequest,
    headers?: Record<string, string | string[]>,
  ): Promise<Principal | null> {
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
    if (options.optional) return null;
    throw new CredentialsMissingError();
  }

  /**
   * Counts an authenticated request against its budget: adds the RateLimit headers, or throws 429. A
   * store that fails follows `onStoreError` (default: let the request through) and emits an event.
   */
  async function limit(
    principal: Principal,
    request: AuthRequest,
    headers: Record<string, string | string[]>,
  ): Promise<void> {
    if (!limits) return;
    const applied = rateLimitFor(principal, limits.default, limits.by);
    if (!applied) return;
    let state: RateLimitState;
    try {
      state = await limits.backend.consume(applied.key, applied.limit);
    } catch (cause) {
      const policy = limits.onStoreError;
      emit({ type: 'rate_limit_unavailable', policy, method: request.method, path: pathOf(request.url) });
      if (policy === 'deny') throw new UnavailableError(undefined, { cause, retryAfterSeconds: 5 });
      return;
    }
    const values = rateLimitHeaders(applied, state);
    if (!state.allowed) throw new RateLimitedError(state.resetSeconds, values);
    Object.assign(headers, values);
  }

  const guard: Guard = {
    options,
    async decide(request, requirement) {
      let credential: Credential | null = null;
      const headers: Record<string, string | string[]> = {};
      try {
        // TLS first: HSTS goes on every HTTPS answer (RFC 6797), malformed-request refusals included.
        const secure = tls ? tls.secure(request) : true;
        if (tls?.hsts && secure) headers['strict-transport-security'] = tls.hsts;
        if (tls && !secure && queryCarriesCredential(request.url)) {
          emit({
            type: 'credential_exposed',
            source: 'query',
            method: request.method,
            path: pathOf(request.url),
          });
          throw new HttpsRequiredError();
        }
        credential = extractCredential(request, maxLength, accept);
        if (tls && !secure) {
          if (credential) {
            const exposed = apiKeys?.isApiKey(credential.value)
              ? await apiKeys.exposed(credential.value, tls.revokeExposedApiKeys)
              : null;
            emit({
              type: 'credential_exposed',
              source: credential.source,
              ...(exposed ? { apiKeyId: exposed.id, revoked: exposed.revoked } : {}),
              method: request.method,
              path: pathOf(request.url),
            });
            throw new HttpsRequiredError();
          }
          return { allow: false, answer: tls.insecureAnswer(request) };
        }
        const principal = credential
          ? await verify(credential, request)
          : await withoutCredential(request, headers);
        if (principal && options.onEvent) {
          emit({
            type: 'authenticated',
            kind: principal.kind,
            subject: principal.subject,
            method: request.method,
            path: pathOf(request.url),
          });
        }
        if (principal && limits) await limit(principal, request, headers);
        if (requirement !== undefined) authorize(principal, requirement);
        if (credential?.scheme === 'dpop' && dpop) {
          // RFC 9449 §8.2: a fresh nonce may go out on any answer; the client uses it next time.
          const nonce = await dpop.nonce();
          if (nonce) headers['dpop-nonce'] = nonce;
        }
        return { allow: true, principal, headers };
      } catch (err) {
        const answer = refuse(err, request, credential);
        Object.assign(answer.headers, headers);
        return { allow: false, answer };
      }
    },
    async authenticate(request) {
      const credential = extractCredential(request, maxLength, accept);
      return credential ? verify(credential, request) : withoutCredential(request);
    },
    enforce(principal, requirement = [], request) {
      try {
        authorize(principal, requirement);
        return null;
      } catch (err) {
        // The request (built lazily when given as a function) only names the refusal's event.
        const refused = typeof request === 'function' ? request() : request;
        if (!refused) return toChallenge(err, challengeOptions);
        // A request that came with the DPoP scheme gets the error on its DPoP challenge (RFC 9449 §7.1).
        const scheme = dpop && /^dpop /i.test(refused.headers('authorization')[0] ?? '') ? 'dpop' : undefined;
        return refuse(err, refused, null, scheme);
      }
    },
    handlesAuthRoutes: sessions !== undefined || metadata !== undefined,
    routes,
    challenge: (err) => toChallenge(err, challengeOptions),
    async handleAuthRoute(request) {
      // The metadata is public, but over HTTPS only: plain HTTP falls through to the TLS policy.
      if (metadata && (!tls || tls.secure(request))) {
        const answer = metadataRoute()!.answer(request);
        if (answer) {
          if (tls?.hsts) answer.headers['strict-transport-security'] = tls.hsts;
          return answer;
        }
      }
      if (!sessions) return null;
      const answer = await sessions.handle(request);
      if (answer && tls?.hsts && tls.secure(request)) answer.headers['strict-transport-security'] = tls.hsts;
      return answer;
    },
    async ready() {
      await Promise.all([tokens?.ready(), sessions?.ready()]);
    },
    async close() {
      await Promise.all([tokens?.close(), apiKeys?.close(), sessions?.close(), dpop?.close()]);
    },
  };
  return guard;
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
