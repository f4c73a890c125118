/**
 * Start-up validation of {@link TokenOptions}: every invalid option throws
 * {@link ConfigInvalidError} when the verifier is built, never per request. `http://` URLs are
 * refused unless `allowInsecureRequests` is set (loopback tests only).
 */
import type { JWK } from 'jose';
import { ConfigInvalidError } from '../errors.js';
import { optionKeys, refuseUnknownNestedOptions, refuseUnknownOptions } from '../options-check.js';
import {
  DEFAULT_ALGORITHMS,
  type FetchTimings,
  type IntrospectionOptions,
  SUPPORTED_ALGORITHMS,
  type TokenCacheOptions,
  type TokenOptions,
  type TokenProfile,
  type TrustedIssuer,
} from './options.js';

/** One issuer with every default resolved. */
export interface ResolvedIssuer {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly algorithms: ReadonlySet<string>;
  readonly profile: TokenProfile;
  readonly scopeClaim: string | undefined;
  readonly jwksUri: string | undefined;
  readonly jwks: { keys: readonly JWK[] } | undefined;
  readonly introspection: IntrospectionOptions | undefined;
}

const fail = (message: string): never => {
  throw new ConfigInvalidError(`tokens: ${message}`);
};

function checkUrl(value: unknown, what: string, insecure: boolean): string {
  if (typeof value !== 'string') return fail(`${what} must be a URL string.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`${what} is not a valid URL.`);
  }
  if (url.protocol !== 'https:' && !(insecure && url.protocol === 'http:')) {
    fail(`${what} must use https:// (http:// only with allowInsecureRequests, for loopback tests).`);
  }
  if (url.hash || url.username || url.password) fail(`${what} must not carry a fragment or credentials.`);
  return value;
}

function checkAlgorithms(list: readonly string[], what: string): ReadonlySet<string> {
  if (!Array.isArray(list) || list.length === 0) fail(`${what} must be a non-empty list.`);
  for (const alg of list) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      fail(`${what}: "${alg}" is not supported (asymmetric algorithms only; never none or HS*).`);
    }
  }
  return new Set(list);
}

const positive = (value: number | undefined, fallback: number, what: string): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    fail(`${what} must be a number ≥ 0.`);
  return value;
};

/** Every key of {@link TokenOptions}; anything else is refused. */
const TOKEN_OPTION_KEYS = optionKeys<TokenOptions>({
  issuers: true,
  algorithms: true,
  profile: true,
  scopeClaim: true,
  clockToleranceSeconds: true,
  maxTokenAgeSeconds: true,
  criticalHeaders: true,
  checkClaims: true,
  isRevoked: true,
  cache: true,
  fetching: true,
  fetch: true,
  allowInsecureRequests: true,
  maxTokenLength: true,
  signatureVerifier: true,
  clock: true,
});
/** Every key of {@link TrustedIssuer}; anything else is refused. */
const ISSUER_OPTION_KEYS = optionKeys<TrustedIssuer>({
  issuer: true,
  audience: true,
  jwksUri: true,
  jwks: true,
  algorithms: true,
  profile: true,
  scopeClaim: true,
  introspection: true,
});
/** Every key of {@link TokenCacheOptions}; anything else is refused. */
const TOKEN_CACHE_OPTION_KEYS = optionKeys<TokenCacheOptions>({ maxEntries: true, maxBytes: true });
/** Every key of {@link FetchTimings}; anything else is refused. */
const FETCH_TIMING_KEYS = optionKeys<FetchTimings>({
  timeoutMs: true,
  cooldownMs: true,
  failureBackoffMs: true,
  maxKeyAgeMs: true,
  maxResponseBytes: true,
});
/** Every key of {@link IntrospectionOptions}; anything else is refused. */
const INTROSPECTION_OPTION_KEYS = optionKeys<IntrospectionOptions>({
  clientId: true,
  clientSecret: true,
  clientAuthentication: true,
  endpoint: true,
  maxCacheSeconds: true,
  requireAudience: true,
});

/** Refuses unknown keys at every level of the options (a typo never silently means a default). */
function refuseUnknownKeys(options: TokenOptions): void {
  refuseUnknownOptions(options, TOKEN_OPTION_KEYS, 'tokens');
  refuseUnknownNestedOptions(options.cache, TOKEN_CACHE_OPTION_KEYS, 'tokens.cache');
  refuseUnknownNestedOptions(options.fetching, FETCH_TIMING_KEYS, 'tokens.fetching');
  options.issuers.forEach((entry, i) => {
    refuseUnknownNestedOptions(entry, ISSUER_OPTION_KEYS, `tokens.issuers[${i}]`);
    refuseUnknownNestedOptions(
      entry?.introspection,
      INTROSPECTION_OPTION_KEYS,
      `tokens.issuers[${i}].introspection`,
    );
  });
}

/** An issuer's `introspection` block: client credentials, endpoint URL, authentication, cache age. */
function checkIntrospection(introspection: IntrospectionOptions, i: number, insecure: boolean): void {
  const { clientId, clientSecret, endpoint, clientAuthentication } = introspection;
  if (!clientId || !clientSecret) fail(`issuers[${i}].introspection needs clientId and clientSecret.`);
  if (endpoint) checkUrl(endpoint, `issuers[${i}].introspection.endpoint`, insecure);
  if (clientAuthentication && !['client_secret_basic', 'client_secret_post'].includes(clientAuthentication)) {
    fail('introspection.clientAuthentication must be client_secret_basic or client_secret_post.');
  }
  positive(introspection.maxCacheSeconds, 60, 'introspection.maxCacheSeconds');
}

/** One issuer entry (already known to be listed once) with the top-level defaults filled in. */
function resolveIssuer(
  entry: TrustedIssuer,
  i: number,
  issuer: string,
  options: TokenOptions,
  algorithms: ReadonlySet<string>,
): ResolvedIssuer {
  const insecure = options.allowInsecureRequests === true;
  const audiences = typeof entry.audience === 'string' ? [entry.audience] : [...(entry.audience ?? [])];
  if (
    audiences.length === 0 ||
    audiences.some((audience) => typeof audience !== 'string' || audience === '')
  ) {
    fail(`issuers[${i}].audience must be a non-empty string or list of strings.`);
  }
  if (entry.jwks && entry.jwksUri) fail(`issuers[${i}]: give jwks or jwksUri, not both.`);
  if (entry.jwks && !Array.isArray(entry.jwks.keys))
    fail(`issuers[${i}].jwks must be a JWK Set ({ keys: [...] }).`);
  if (entry.jwksUri) checkUrl(entry.jwksUri, `issuers[${i}].jwksUri`, insecure);
  const profile = entry.profile ?? options.profile ?? 'rfc9068';
  if (profile !== 'rfc9068' && profile !== 'lenient') fail(`profile must be "rfc9068" or "lenient".`);
  if (entry.introspection) checkIntrospection(entry.introspection, i, insecure);
  return {
    issuer,
    audiences,
    algorithms: entry.algorithms ? checkAlgorithms(entry.algorithms, `issuers[${i}].algorithms`) : algorithms,
    profile,
    scopeClaim: entry.scopeClaim ?? options.scopeClaim,
    jwksUri: entry.jwksUri,
    jwks: entry.jwks,
    introspection: entry.introspection,
  };
}

/** Validates the options and resolves each issuer's defaults. */
export function resolveIssuers(options: TokenOptions): ResolvedIssuer[] {
  if (!options || !Array.isArray(options.issuers) || options.issuers.length === 0) {
    fail('issuers must list at least one trusted issuer.');
  }
  refuseUnknownKeys(options);
  const insecure = options.allowInsecureRequests === true;
  const algorithms = checkAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS, 'algorithms');
  const seen = new Set<string>();
  const resolved = options.issuers.map((entry, i): ResolvedIssuer => {
    const issuer = checkUrl(entry?.issuer, `issuers[${i}].issuer`, insecure);
    if (seen.has(issuer)) fail(`issuer ${issuer} is listed twice.`);
    seen.add(issuer);
    return resolveIssuer(entry, i, issuer, options, algorithms);
  });
  if (resolved.filter((issuer) => issuer.introspection).length > 1)
    fail('at most one issuer may configure introspection (opaque tokens carry no issuer).');
  return resolved;
}

/** Resolved numeric settings. */
export interface ResolvedSettings {
  readonly clockToleranceSeconds: number;
  readonly maxTokenAgeSeconds: number | undefined;
  readonly maxTokenLength: number;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly failureBackoffMs: number;
  readonly maxKeyAgeMs: number;
  readonly maxResponseBytes: number;
}

/** Validates and resolves the numeric options. */
export function resolveSettings(options: TokenOptions): ResolvedSettings {
  const fetching = options.fetching ?? {};
  const failureBackoffMs = positive(fetching.failureBackoffMs, 10_000, 'fetching.failureBackoffMs');
  if (failureBackoffMs > 15_000) fail('fetching.failureBackoffMs must be at most 15000.');
  return {
    clockToleranceSeconds: positive(options.clockToleranceSeconds, 5, 'clockToleranceSeconds'),
    maxTokenAgeSeconds:
      options.maxTokenAgeSeconds === undefined
        ? undefined
        : positive(options.maxTokenAgeSeconds, 0, 'maxTokenAgeSeconds'),
    maxTokenLength: positive(options.maxTokenLength, 8192, 'maxTokenLength'),
    timeoutMs: Math.min(positive(fetching.timeoutMs, 5000, 'fetching.timeoutMs'), 5000) || 5000,
    cooldownMs: positive(fetching.cooldownMs, 30_000, 'fetching.cooldownMs'),
    failureBackoffMs,
    maxKeyAgeMs: positive(fetching.maxKeyAgeMs, 600_000, 'fetching.maxKeyAgeMs'),
    maxResponseBytes: positive(fetching.maxResponseBytes, 512 * 1024, 'fetching.maxResponseBytes'),
  };
}
