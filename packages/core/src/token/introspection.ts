/**
 * Opaque access tokens through RFC 7662 §2 token introspection (openid-client 6), with client
 * authentication `client_secret_basic` or `client_secret_post` (§2.1). The answer must say
 * `active: true` (§2.2); `iss`, `aud`, `exp`/`nbf`/`iat` and `token_type` are still checked here.
 * Any failure to get an answer is infrastructure: 503, never a pass — including an answer larger
 * than `fetching.maxResponseBytes`, which is refused while reading, never buffered whole.
 */
import * as oidc from 'openid-client';
import { recordFetch } from '../telemetry.js';
import type { SingleFlight } from './backoff.js';
import { unavailable } from './backoff.js';
import { checkAudience, checkTimes, invalid } from './claims.js';
import type { IssuerMetadata } from './discovery.js';
import { readCapped } from './fetch-json.js';
import type { FetchLike } from './options.js';
import type { ResolvedIssuer, ResolvedSettings } from './resolve.js';

/** `token_type` values that denote an access token usable as a bearer token. */
const BEARER_TYPES = new Set(['bearer', 'access_token', 'urn:ietf:params:oauth:token-type:access_token']);

/** What the introspection step needs. */
export interface IntrospectorOptions {
  readonly issuer: ResolvedIssuer;
  readonly settings: ResolvedSettings;
  readonly discovery: SingleFlight<IssuerMetadata> | undefined;
  readonly fetch: FetchLike | undefined;
  readonly insecure: boolean;
}

/** Introspects one token: the validated answer (claims) or a restguard error. */
export type Introspector = (token: string, nowSeconds: number) => Promise<Record<string, unknown>>;

/** Statuses whose Response must have no body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * `fetch` for openid-client whose answers are read through {@link readCapped}: a body over
 * `maxBytes` rejects (openid-client then fails, and the caller answers 503) instead of being
 * buffered whole by `response.json()`.
 */
function cappedFetch(fetchFn: FetchLike, maxBytes: number): oidc.CustomFetch {
  return async (url, init) => {
    const res = await fetchFn(url, init as RequestInit);
    const text = NULL_BODY_STATUSES.has(res.status) ? null : await readCapped(res, maxBytes, url);
    const headers = new Headers(res.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    return new Response(text, { status: res.status, statusText: res.statusText, headers });
  };
}

/**
 * Builds the introspection step for the issuer that configured it.
 * @example
 * const introspect = createIntrospector({ issuer, settings, discovery, fetch: undefined, insecure: false });
 * const claims = await introspect(token, Math.floor(Date.now() / 1000));
 */
export function createIntrospector(options: IntrospectorOptions): Introspector {
  const { issuer, settings } = options;
  const introspection = issuer.introspection!;
  let configuration: oidc.Configuration | undefined;

  async function configure(): Promise<oidc.Configuration> {
    if (configuration) return configuration;
    const endpoint = introspection.endpoint ?? (await options.discovery!.run()).introspection_endpoint;
    if (!endpoint) throw unavailable(settings.failureBackoffMs, new Error('no introspection_endpoint'));
    const auth =
      introspection.clientAuthentication === 'client_secret_post'
        ? oidc.ClientSecretPost(introspection.clientSecret)
        : oidc.ClientSecretBasic(introspection.clientSecret);
    const config = new oidc.Configuration(
      { issuer: issuer.issuer, introspection_endpoint: endpoint },
      introspection.clientId,
      undefined,
      auth,
    );
    config.timeout = settings.timeoutMs / 1000;
    config[oidc.customFetch] = cappedFetch(
      options.fetch ?? ((input, init) => fetch(input, init)),
      settings.maxResponseBytes,
    );
    if (options.insecure) oidc.allowInsecureRequests(config);
    configuration = config;
    return config;
  }

  return async (token, nowSeconds) => {
    const config = await configure();
    let answer: Record<string, unknown>;
    try {
      answer = (await recordFetch('introspection', () =>
        oidc.tokenIntrospection(config, token, { token_type_hint: 'access_token' }),
      )) as Record<string, unknown>;
    } catch (cause) {
      throw unavailable(settings.failureBackoffMs, cause);
    }
    if (answer.active !== true) throw invalid('inactive');
    if (typeof answer.token_type === 'string' && !BEARER_TYPES.has(answer.token_type.toLowerCase())) {
      throw invalid('type');
    }
    if (answer.iss !== undefined && answer.iss !== issuer.issuer) throw invalid('issuer');
    if (answer.aud !== undefined || introspection.requireAudience !== false) {
      checkAudience(answer.aud, issuer.audiences);
    }
    if (answer.scope !== undefined && typeof answer.scope !== 'string') throw invalid('claims');
    checkTimes(answer, settings, nowSeconds, false);
    return answer;
  };
}
