/**
 * The relying party's link to the provider through openid-client 6: discovery (OpenID Connect
 * Discovery 1.0 §4, issuer matched exactly), client authentication, timeouts and the provider's JWKS
 * for logout tokens. Discovery happens on first use, one call in flight; a failure is retried on the
 * next request and surfaces as {@link UnavailableError} (503), never as a pass.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey, customFetch as joseFetch } from 'jose';
import * as client from 'openid-client';
import { UnavailableError } from '../errors.js';
import { type FaultError, fault, fetchFault } from '../fault.js';
import type { ResolvedSessionOptions } from './options.js';

/** The provider, discovered. */
export interface Provider {
  readonly config: client.Configuration;
  /** The provider's signing keys (for logout tokens). */
  readonly jwks: JWTVerifyGetKey;
}

/** Lazily discovers the provider once; `get()` throws {@link UnavailableError} while it cannot. */
export interface ProviderClient {
  get(): Promise<Provider>;
}

function clientAuth(options: ResolvedSessionOptions): client.ClientAuth {
  switch (options.clientAuthMethod) {
    case 'client_secret_post':
      return client.ClientSecretPost(options.clientSecret);
    case 'client_secret_basic':
      return client.ClientSecretBasic(options.clientSecret);
    default:
      return client.None();
  }
}

/**
 * Creates the lazily discovered provider client.
 * @example
 * const provider = await createProviderClient(resolved).get();
 */
export function createProviderClient(options: ResolvedSessionOptions): ProviderClient {
  let pending: Promise<Provider> | undefined;
  const discover = async (): Promise<Provider> => {
    const execute = options.allowInsecureRequests ? [client.allowInsecureRequests] : [];
    const discoveryOptions: client.DiscoveryRequestOptions = { execute, timeout: options.timeoutSeconds };
    if (options.fetch) discoveryOptions[client.customFetch] = options.fetch as client.CustomFetch;
    const metadata: Partial<client.ClientMetadata> = options.clientSecret
      ? { client_secret: options.clientSecret }
      : {};
    const config = await client.discovery(
      new URL(options.issuer),
      options.clientId,
      metadata,
      clientAuth(options),
      discoveryOptions,
    );
    const jwksUri = config.serverMetadata().jwks_uri;
    if (!jwksUri) throw new TypeError('provider metadata lacks jwks_uri');
    const jwks = createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: options.timeoutSeconds * 1000,
      ...(options.fetch ? { [joseFetch]: options.fetch } : {}),
    });
    return { config, jwks };
  };
  return {
    get() {
      if (!pending) {
        pending = discover().catch((err: unknown) => {
          pending = undefined;
          throw new UnavailableError('The identity provider is unreachable.', {
            cause: discoveryFault(options.issuer, err),
          });
        });
      }
      return pending;
    },
  };
}

/** Why provider discovery failed, as a {@link Fault}: the issuer mismatch openid-client found, else DNS/TLS/…. */
function discoveryFault(issuer: string, err: unknown): FaultError {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const { code, cause } = (err ?? {}) as { code?: unknown; cause?: Record<string, unknown> };
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' && cause?.attribute === 'issuer') {
    const body = cause.body as { issuer?: unknown } | undefined;
    const actual = typeof body?.issuer === 'string' ? body.issuer : JSON.stringify(body?.issuer);
    return fault(
      'issuer_mismatch',
      url,
      {
        expected: issuer,
        actual,
        message: `The metadata at ${url} names the issuer ${JSON.stringify(actual)}, not the configured ${JSON.stringify(issuer)}: issuers are compared exactly (check the trailing slash).`,
      },
      err,
    );
  }
  return fetchFault(err, url);
}

/** How a failed call to the provider should be answered. */
export type ProviderFailure =
  /** The provider answered with an OAuth error (`access_denied`, `invalid_grant`, …). */
  | { kind: 'refused'; error: string }
  /** A check failed: state, nonce, issuer, signature, PKCE… The response is not trusted. */
  | { kind: 'invalid' }
  /** The provider could not be reached or answered with a server error. */
  | { kind: 'unavailable' };

/** OAuth error codes safe to show (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6). */
const KNOWN_ERRORS = new Set([
  'access_denied',
  'invalid_request',
  'unauthorized_client',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'interaction_required',
  'login_required',
  'account_selection_required',
  'consent_required',
  'invalid_request_uri',
  'invalid_request_object',
  'request_not_supported',
  'request_uri_not_supported',
  'registration_not_supported',
  'invalid_grant',
  'invalid_client',
  'unsupported_grant_type',
  'invalid_target',
]);

/**
 * Classifies an error thrown by openid-client without ever exposing its message.
 * @example
 * classifyProviderError(err); // { kind: 'refused', error: 'access_denied' }
 */
export function classifyProviderError(err: unknown): ProviderFailure {
  if (err instanceof UnavailableError) return { kind: 'unavailable' };
  if (err instanceof client.AuthorizationResponseError || err instanceof client.ResponseBodyError) {
    const status = err instanceof client.ResponseBodyError ? err.status : 400;
    if (status >= 500 || err.error === 'temporarily_unavailable') return { kind: 'unavailable' };
    return { kind: 'refused', error: KNOWN_ERRORS.has(err.error) ? err.error : 'invalid_request' };
  }
  if (typeof err === 'object' && err !== null) {
    const { name, code } = err as { name?: unknown; code?: unknown };
    // fetch() rejects with a bare TypeError ("fetch failed"); openid-client's argument errors carry a code.
    if (err instanceof TypeError && code === undefined) return { kind: 'unavailable' };
    if (name === 'AbortError' || name === 'TimeoutError') return { kind: 'unavailable' };
    if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON')
      return { kind: 'unavailable' };
  }
  return { kind: 'invalid' };
}
