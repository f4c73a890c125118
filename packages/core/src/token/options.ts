/**
 * Options of the token verifier (validated at start-up in `resolve.ts`). Defaults follow RFC 8725
 * (JWT BCP) and RFC 9068 (JWT access tokens): asymmetric algorithms only, strict typing, exact
 * issuer and audience, a 5 s clock tolerance.
 */
import type { JWK, JWTHeaderParameters, JWTPayload } from 'jose';
import type { SignatureVerifier } from './signature.js';

/** Asymmetric JWS algorithms restguard verifies (RFC 7518 §3, RFC 8037, RFC 9864). */
export type JwsAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';

/** Every supported algorithm. `none` and `HS*` are not among them, by design (RFC 8725 §3.1). */
export const SUPPORTED_ALGORITHMS: readonly JwsAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** The default allow-list: RS*, PS*, ES* and EdDSA. */
export const DEFAULT_ALGORITHMS: readonly JwsAlgorithm[] = SUPPORTED_ALGORITHMS.filter(
  (alg) => alg !== 'Ed25519',
);

/**
 * `rfc9068` (default): `typ` must be `at+jwt` / `application/at+jwt` and the RFC 9068 §2.2 claims
 * (iss, exp, aud, sub, client_id, iat, jti) must be present. `lenient`: for issuers that do not
 * implement RFC 9068 (Keycloak, Entra ID): `typ` may also be absent or `JWT`, only iss, exp and aud
 * are required. Both refuse ID tokens and other JWT types (RFC 8725 §3.11).
 */
export type TokenProfile = 'rfc9068' | 'lenient';

/** A `fetch`-compatible function (discovery, JWKS and introspection use it). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** RFC 7662 introspection for opaque tokens, through openid-client. */
export interface IntrospectionOptions {
  clientId: string;
  clientSecret: string;
  /** RFC 7662 §2.1 client authentication. Default `client_secret_basic`. */
  clientAuthentication?: 'client_secret_basic' | 'client_secret_post';
  /** The endpoint; default: `introspection_endpoint` from the issuer's metadata (discovery). */
  endpoint?: string;
  /** Longest an answer is cached, in seconds (also never past the token's `exp`). Default 60; 0 disables. */
  maxCacheSeconds?: number;
  /** Refuse answers without `aud` (default true); an `aud` that is present must always match. */
  requireAudience?: boolean;
}

/** One trusted authorization server. A token's `iss` only selects among these. */
export interface TrustedIssuer {
  /** The issuer identifier, compared exactly (no trailing-slash folding). */
  issuer: string;
  /** The audience(s) this API accepts from that issuer; the token's `aud` must contain one. */
  audience: string | readonly string[];
  /** JWK Set URL. Default: `jwks_uri` from discovery. */
  jwksUri?: string;
  /** A static JWK Set (never fetched). */
  jwks?: { keys: readonly JWK[] };
  /** Overrides the verifier-wide `algorithms`. */
  algorithms?: readonly JwsAlgorithm[];
  /** Overrides the verifier-wide `profile`. */
  profile?: TokenProfile;
  /** Overrides the verifier-wide `scopeClaim`. */
  scopeClaim?: string;
  /** Introspection for opaque tokens (at most one issuer may have it). */
  introspection?: IntrospectionOptions;
}

/** Context passed to a custom claim check. */
export interface ClaimCheckContext {
  readonly issuer: string;
  /** The protected header (JWT) or undefined (introspection). */
  readonly header?: JWTHeaderParameters;
  readonly source: 'jwt' | 'introspection';
}

/**
 * What {@link TokenOptions.isRevoked} is told besides the claims.
 * @example
 * const isRevoked = (claims: JWTPayload, { issuer }: RevocationCheckContext) => denyList.has(`${issuer} ${claims.jti}`);
 */
export interface RevocationCheckContext {
  /** The configured issuer that verified the token. */
  readonly issuer: string;
}

/** Timings of discovery, JWKS and introspection requests, in milliseconds. */
export interface FetchTimings {
  /** Per-request timeout, at most 5000 (the contract). Default 5000. */
  timeoutMs?: number;
  /** An unknown `kid` refetches the JWKS at most once per cooldown after a success. Default 30000. */
  cooldownMs?: number;
  /** After a failed fetch, the next attempt waits this long (≤ 15000). Default 10000. */
  failureBackoffMs?: number;
  /** Keys older than this are refreshed in the background (still used meanwhile). Default 600000. */
  maxKeyAgeMs?: number;
  /**
   * Largest metadata / JWKS document or introspection answer accepted, in bytes; a larger one is
   * refused while reading (never buffered whole) and the request gets 503. Default 524288.
   */
  maxResponseBytes?: number;
}

/** The verified-token cache: bounded in entries and in the bytes its entries retain. */
export interface TokenCacheOptions {
  /** Default 10000. */
  maxEntries?: number;
  /**
   * Bytes the cache may retain: each entry's key, principal, claims and scopes (estimated for a
   * 64-bit heap, erring high). Default 16 MiB.
   */
  maxBytes?: number;
}

/**
 * Options for access tokens: JWT issuers (JWKS / discovery / static keys) and introspection.
 * @example
 * const options: TokenOptions = {
 *   issuers: [{ issuer: 'https://idp.example/realms/acme', audience: 'https://api.example' }],
 *   maxTokenAgeSeconds: 3600,
 * };
 */
export interface TokenOptions {
  /** The trusted issuers (at least one). */
  issuers: readonly TrustedIssuer[];
  /** JWS algorithm allow-list. Default {@link DEFAULT_ALGORITHMS}. */
  algorithms?: readonly JwsAlgorithm[];
  /** Default `rfc9068`. */
  profile?: TokenProfile;
  /** Read scopes from this claim (e.g. `permissions`) instead of `scope` / `scp`. */
  scopeClaim?: string;
  /** Allowed clock skew for exp / nbf / iat, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** Refuse tokens whose `iat` is older than this (requires `iat`). */
  maxTokenAgeSeconds?: number;
  /** Header parameters your `checkClaims` understands; any other `crit` entry is refused. Default none. */
  criticalHeaders?: readonly string[];
  /** Extra checks: return false or throw to refuse (a restguard error thrown here is passed through). */
  checkClaims?: (
    claims: Readonly<JWTPayload>,
    context: ClaimCheckContext,
  ) => boolean | undefined | Promise<boolean | undefined>;
  /**
   * Per-request revocation check (an application's `jti` deny-list, a per-user "logged out at"): return
   * true to refuse the token (401 `invalid_token`). Unlike `checkClaims`, which runs once per token and
   * is cached with it, this runs on **every** request, verified-token cache hit or miss, after the
   * signature and claim checks; its cost is added to every request, so keep it to a memory or Redis
   * lookup. A throw that is not a restguard error fails closed: 503 `temporarily_unavailable`.
   */
  isRevoked?: (
    claims: Readonly<JWTPayload>,
    context: RevocationCheckContext,
  ) => boolean | undefined | Promise<boolean | undefined>;
  /** Verified-token cache; `false` disables it. */
  cache?: TokenCacheOptions | false;
  /** Request timings. */
  fetching?: FetchTimings;
  /** `fetch` to use (default the global one: Node's CA store plus NODE_EXTRA_CA_CERTS). */
  fetch?: FetchLike;
  /** Allow `http://` issuers, JWKS and introspection. For loopback tests only; never in production. */
  allowInsecureRequests?: boolean;
  /** Longest token accepted. Default 8192. */
  maxTokenLength?: number;
  /**
   * Signature step. Default: `node:crypto` on Node.js (synchronous, no thread-pool hop), Web Crypto
   * elsewhere — the same answers (differential-tested against jose). `webCryptoSignatureVerifier`
   * keeps Web Crypto on Node.
   */
  signatureVerifier?: SignatureVerifier;
  /** Clock in milliseconds, for tests. Default `Date.now`. */
  clock?: () => number;
}
