/**
 * `createTokenVerifier`: an access token in, a `token` principal or a restguard error out.
 * RFC 6750 bearer tokens are JWTs (RFC 9068, verified offline against the issuer's keys, hardened per
 * RFC 8725) or opaque tokens (RFC 7662 introspection). The token's unverified `iss` only selects among
 * the configured issuers; nothing is ever fetched from what a token says.
 */
import type { JWTPayload } from 'jose';
import { isRestguardError, TokenInvalidError, UnavailableError } from '../errors.js';
import { fault, readinessError } from '../fault.js';
import { freezePrincipal, freezeScopes, type Principal, scopesFromClaims } from '../principal.js';
import type { SingleFlight } from './backoff.js';
import { TokenCache, tokenDigest } from './cache.js';
import { checkType, invalid, validateJwtClaims } from './claims.js';
import { createDiscovery, type IssuerMetadata } from './discovery.js';
import { BoundedMemo, deepFreeze } from './freeze.js';
import { createIntrospector, type Introspector } from './introspection.js';
import { type KeySource, remoteKeySource, staticKeySource } from './jwks.js';
import { looksLikeJws, type ParsedJws, parseCompactJws } from './jws.js';
import type { JwsAlgorithm, TokenOptions } from './options.js';
import { type ResolvedIssuer, type ResolvedSettings, resolveIssuers, resolveSettings } from './resolve.js';
import type { SignatureVerifier } from './signature.js';
import { defaultSignatureVerifier } from './signature-default.js';

/** Verifies one access token into a principal of kind `token`, or throws a restguard error. */
export interface TokenVerifier {
  /** The token's principal, or a restguard error (invalid, expired, issuer unreachable). */
  verify(token: string): Promise<Principal>;
  /**
   * Resolves every issuer's discovery metadata and JWKS now. Throws `ConfigInvalidError` for an
   * issuer mismatch, `UnavailableError` for anything else; either carries the {@link Fault} (`fault`)
   * and says it in its message.
   */
  ready(): Promise<void>;
  /** Stops the verifier's background work. */
  close(): void | Promise<void>;
}

interface IssuerRuntime {
  readonly config: ResolvedIssuer;
  readonly keys: KeySource;
  readonly discovery: SingleFlight<IssuerMetadata> | undefined;
}

/** The issuer that answers introspection for opaque tokens, and its introspection step. */
interface OpaqueRuntime {
  readonly issuer: ResolvedIssuer;
  readonly introspect: Introspector;
}

/** Everything a verifier holds, built once from its options; the steps below take what they need. */
interface VerifierParts {
  readonly options: TokenOptions;
  readonly settings: ResolvedSettings;
  readonly clock: () => number;
  readonly signatures: SignatureVerifier;
  readonly criticalHeaders: readonly string[];
  readonly cache: TokenCache | undefined;
  readonly byIssuer: ReadonlyMap<string, IssuerRuntime>;
  readonly opaque: OpaqueRuntime | undefined;
}

/** A verified token's principal and when a cached copy of it stops being served (ms). */
interface Verified {
  readonly principal: Principal;
  readonly expiresAt: number;
}

/** What every issuer's runtime shares: fetching, the signature step, the clock, the settings. */
interface IssuerContext {
  readonly settings: ResolvedSettings;
  readonly fetching: FetchContext;
  readonly insecure: boolean;
  readonly signatures: SignatureVerifier;
  readonly clock: () => number;
}

type FetchContext = Parameters<typeof createDiscovery>[1];

function cacheFor(options: TokenOptions, clock: () => number): TokenCache | undefined {
  if (options.cache === false) return undefined;
  return new TokenCache(
    options.cache?.maxEntries ?? 10_000,
    options.cache?.maxBytes ?? 16 * 1024 * 1024,
    clock,
  );
}

/** The issuer's keys: its static JWKS, or a remote set at `jwksUri` or its metadata's `jwks_uri`. */
function keySourceFor(
  config: ResolvedIssuer,
  discovery: SingleFlight<IssuerMetadata> | undefined,
  context: IssuerContext,
): KeySource {
  if (config.jwks) return staticKeySource(config.jwks, context.signatures);
  const { settings } = context;
  return remoteKeySource({
    uri: async () => {
      if (config.jwksUri) return config.jwksUri;
      const uri = (await discovery!.run()).jwks_uri;
      if (!uri) {
        throw fault('json_shape', config.issuer, {
          message: `The metadata of ${config.issuer} has no usable jwks_uri (https).`,
        });
      }
      return uri;
    },
    fetching: context.fetching,
    verifier: context.signatures,
    clock: context.clock,
    cooldownMs: settings.cooldownMs,
    failureBackoffMs: settings.failureBackoffMs,
    maxKeyAgeMs: settings.maxKeyAgeMs,
  });
}

/** One issuer's discovery (only when its keys or introspection endpoint are not configured) and keys. */
function issuerRuntime(config: ResolvedIssuer, context: IssuerContext): IssuerRuntime {
  const needsDiscovery =
    (!config.jwks && !config.jwksUri) || (config.introspection && !config.introspection.endpoint);
  const discovery = needsDiscovery
    ? createDiscovery(
        config.issuer,
        context.fetching,
        context.insecure,
        context.clock,
        context.settings.failureBackoffMs,
      )
    : undefined;
  return { config, keys: keySourceFor(config, discovery, context), discovery };
}

/** options → parts: validated settings, the signature step, the cache and every issuer's runtime. */
function verifierParts(options: TokenOptions): VerifierParts {
  const issuers = resolveIssuers(options);
  const settings = resolveSettings(options);
  const clock = options.clock ?? Date.now;
  const signatures: SignatureVerifier = options.signatureVerifier ?? defaultSignatureVerifier();
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  const insecure = options.allowInsecureRequests === true;
  const context: IssuerContext = {
    settings,
    fetching: { fetch: fetchFn, timeoutMs: settings.timeoutMs, maxBytes: settings.maxResponseBytes },
    insecure,
    signatures,
    clock,
  };
  const byIssuer = new Map<string, IssuerRuntime>();
  let opaque: OpaqueRuntime | undefined;
  for (const config of issuers) {
    const runtime = issuerRuntime(config, context);
    byIssuer.set(config.issuer, runtime);
    if (config.introspection) {
      const { discovery } = runtime;
      const introspect = createIntrospector({
        issuer: config,
        settings,
        discovery,
        fetch: options.fetch,
        insecure,
      });
      opaque = { issuer: config, introspect };
    }
  }
  const criticalHeaders = options.criticalHeaders ?? [];
  return {
    options,
    settings,
    clock,
    signatures,
    criticalHeaders,
    cache: cacheFor(options, clock),
    byIssuer,
    opaque,
  };
}

/** `checkClaims`, on a cache miss: false refuses, a foreign throw refuses (never lets the token pass). */
async function runClaimCheck(
  checkClaims: NonNullable<TokenOptions['checkClaims']>,
  claims: Record<string, unknown>,
  issuer: string,
  header?: ParsedJws['header'],
): Promise<void> {
  let ok: boolean | undefined;
  try {
    ok = await checkClaims(claims as JWTPayload, {
      issuer,
      header,
      source: header ? 'jwt' : 'introspection',
    });
  } catch (err) {
    if (isRestguardError(err)) throw err;
    throw new TokenInvalidError(undefined, { cause: err });
  }
  if (ok === false) throw invalid('refused');
}

/** `isRevoked`, on every request (cache hit or miss): true refuses, a foreign throw fails closed. */
async function checkRevocation(
  isRevoked: NonNullable<TokenOptions['isRevoked']>,
  principal: Principal,
): Promise<Principal> {
  let revoked: boolean | undefined;
  try {
    revoked = await isRevoked(principal.claims ?? {}, { issuer: principal.issuer ?? '' });
  } catch (err) {
    if (isRestguardError(err)) throw err;
    throw new UnavailableError('The token revocation check is unavailable.', { cause: err });
  }
  if (revoked === true) throw new TokenInvalidError('The access token has been revoked.');
  return principal;
}

/**
 * Frozen scope sets by the text of their claim. An issuer grants a handful of scope strings, and a
 * frozen set can be shared between principals (its mutators throw), so most fresh tokens skip
 * building one (a read-only `Set` costs more than the rest of the principal). Emptied when full, so
 * odd scope strings cost only speed, never memory.
 */
const scopeSets = new BoundedMemo<ReadonlySet<string>>(256);
const MAX_SHARED_SCOPE_TEXT = 1024;

function scopesOf(claims: Record<string, unknown>, scopeClaim: string | undefined): ReadonlySet<string> {
  // Without a configured claim the scopes come from `scope` and `scp`: shared only when `scp` is absent.
  const text = scopeClaim ? claims[scopeClaim] : claims.scp === undefined ? claims.scope : undefined;
  if (typeof text !== 'string' || text.length > MAX_SHARED_SCOPE_TEXT) {
    return freezeScopes(scopesFromClaims(claims, scopeClaim));
  }
  return scopeSets.get(text) ?? scopeSets.set(text, freezeScopes(scopesFromClaims(claims, scopeClaim)));
}

const nonEmptyText = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

function principalOf(claims: Record<string, unknown>, issuer: ResolvedIssuer): Principal {
  const clientId = nonEmptyText(claims.client_id) ?? nonEmptyText(claims.azp);
  const subject = nonEmptyText(claims.sub) ?? clientId;
  if (!subject) throw invalid('claims');
  const principal: { -readonly [K in keyof Principal]: Principal[K] } = {
    kind: 'token',
    subject,
    scopes: scopesOf(claims, issuer.scopeClaim),
    issuer: issuer.issuer,
  };
  if (clientId) principal.clientId = clientId;
  principal.claims = deepFreeze(claims) as JWTPayload;
  // Built frozen, so freezePrincipal returns it as it is (no second copy and freeze per token).
  return freezePrincipal(Object.freeze(principal));
}

/** When a cached entry stops being served (ms): exp, capped by the maximum token age. */
function expiryOf(
  claims: Record<string, unknown>,
  settings: ResolvedSettings,
  capMs = Number.POSITIVE_INFINITY,
): number {
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
  const age =
    settings.maxTokenAgeSeconds !== undefined && typeof claims.iat === 'number'
      ? (claims.iat + settings.maxTokenAgeSeconds) * 1000
      : Number.POSITIVE_INFINITY;
  return Math.min(exp, age, capMs);
}

/**
 * True when one of the candidate keys verifies the signature. A known key and a synchronous step
 * cost no `await` (the hot path); otherwise the keys are fetched and each check awaited.
 */
function signatureHolds(
  parts: VerifierParts,
  runtime: IssuerRuntime,
  jws: ParsedJws,
  alg: JwsAlgorithm,
): boolean | Promise<boolean> {
  const { signatures } = parts;
  const known = runtime.keys.known(jws.header.kid, alg);
  if (known && signatures.verifySync) {
    for (const key of known) {
      if (signatures.verifySync(alg, key, jws.signingInput, jws.signature)) return true;
    }
    return false;
  }
  return signatureHoldsSlowly(signatures, known ?? runtime.keys.candidates(jws.header.kid, alg), jws, alg);
}

async function signatureHoldsSlowly(
  signatures: SignatureVerifier,
  keys: readonly unknown[] | Promise<readonly unknown[]>,
  jws: ParsedJws,
  alg: JwsAlgorithm,
): Promise<boolean> {
  for (const key of await keys) {
    if (
      signatures.verifySync
        ? signatures.verifySync(alg, key, jws.signingInput, jws.signature)
        : await signatures.verify(alg, key, jws.signingInput, jws.signature)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * JWT access token: issuer by its unverified `iss`, `alg`, `typ`, signature first, then the claims.
 * Synchronous (no promise) when the key is known, the signature step synchronous and there is no
 * `checkClaims`: the common case pays no `await`.
 */
function verifyJwt(parts: VerifierParts, token: string): Verified | Promise<Verified> {
  const jws = parseCompactJws(token, parts.criticalHeaders); // looksLikeJws(token) holds
  const runtime = typeof jws.payload.iss === 'string' ? parts.byIssuer.get(jws.payload.iss) : undefined;
  if (!runtime) throw invalid('issuer');
  const { config } = runtime;
  const alg = jws.header.alg as JwsAlgorithm;
  if (!config.algorithms.has(alg)) throw invalid('algorithm');
  checkType(jws.header.typ, config.profile);
  const holds = signatureHolds(parts, runtime, jws, alg);
  if (typeof holds === 'boolean') return afterSignature(parts, config, jws, holds);
  return holds.then((verified) => afterSignature(parts, config, jws, verified));
}

/** The claims of a token whose signature was checked (refused when it did not hold), then `checkClaims`. */
function afterSignature(
  parts: VerifierParts,
  config: ResolvedIssuer,
  jws: ParsedJws,
  signatureHeld: boolean,
): Verified | Promise<Verified> {
  if (!signatureHeld) throw invalid('signature');
  const { options, settings } = parts;
  validateJwtClaims(jws.payload, config, settings, Math.floor(parts.clock() / 1000));
  const verified = () => ({
    principal: principalOf(jws.payload, config),
    expiresAt: expiryOf(jws.payload, settings),
  });
  if (!options.checkClaims) return verified();
  return runClaimCheck(options.checkClaims, jws.payload, config.issuer, jws.header).then(verified);
}

/** Opaque token: RFC 7662 introspection at the one issuer that configured it. */
async function verifyOpaque(parts: VerifierParts, token: string): Promise<Verified> {
  const { opaque, clock, options } = parts;
  if (!opaque) throw invalid('malformed');
  const claims = await opaque.introspect(token, Math.floor(clock() / 1000));
  if (options.checkClaims) await runClaimCheck(options.checkClaims, claims, opaque.issuer.issuer);
  const maxCache = (opaque.issuer.introspection?.maxCacheSeconds ?? 60) * 1000;
  return {
    principal: principalOf(claims, opaque.issuer),
    expiresAt: expiryOf(claims, parts.settings, clock() + maxCache),
  };
}

/** The cache key of a token: the signature step's synchronous digest when it has one. */
function cacheKeyOf(parts: VerifierParts, token: string): string | Promise<string> {
  return parts.signatures.tokenDigest?.(token) ?? tokenDigest(token);
}

/**
 * One request's token. A refusal found synchronously (a forged or malformed token: no `await` on
 * the way) is thrown after one `await`: by then the caller's handler is attached, so the promise
 * skips V8's unhandled-rejection hook, which Node tracks per promise (~0.7 µs per refusal).
 */
async function verifyToken(parts: VerifierParts, token: string): Promise<Principal> {
  let result: Principal | Promise<Principal>;
  try {
    result = verifyTokenNow(parts, token);
  } catch (err) {
    await undefined;
    throw err;
  }
  return result instanceof Promise ? await result : result;
}

/** The token's cache key (SHA-256), then {@link lookupOrVerify}; synchronous with a sync digest. */
function verifyTokenNow(parts: VerifierParts, token: string): Principal | Promise<Principal> {
  if (typeof token !== 'string' || token.length === 0) throw invalid('malformed');
  if (token.length > parts.settings.maxTokenLength) throw invalid('malformed');
  if (!parts.cache) return lookupOrVerify(parts, token, '');
  const digest = cacheKeyOf(parts, token);
  if (typeof digest !== 'string') return digest.then((key) => lookupOrVerify(parts, token, key));
  return lookupOrVerify(parts, token, digest);
}

/** A cached principal, else the JWT or opaque path and the cache; `isRevoked` either way. */
function lookupOrVerify(parts: VerifierParts, token: string, key: string): Principal | Promise<Principal> {
  const { options } = parts;
  const hit = parts.cache?.get(key);
  if (hit) return options.isRevoked ? checkRevocation(options.isRevoked, hit) : hit;
  const verifying = looksLikeJws(token) ? verifyJwt(parts, token) : verifyOpaque(parts, token);
  if (verifying instanceof Promise) return verifying.then((verified) => admit(parts, key, verified));
  return admit(parts, key, verifying);
}

/** Caches a verified token's principal under its key, then asks `isRevoked`. */
function admit(parts: VerifierParts, key: string, verified: Verified): Principal | Promise<Principal> {
  const { options } = parts;
  parts.cache?.set(key, verified.principal, verified.expiresAt);
  return options.isRevoked ? checkRevocation(options.isRevoked, verified.principal) : verified.principal;
}

/** Resolves every issuer's discovery metadata and keys, each failure named by its issuer. */
async function readyAll(byIssuer: ReadonlyMap<string, IssuerRuntime>): Promise<void> {
  await Promise.all(
    [...byIssuer.values()].map(async ({ config, keys, discovery }) => {
      try {
        const metadata = discovery ? await discovery.run() : undefined;
        const hasKeys = config.jwks || config.jwksUri || metadata?.jwks_uri || !config.introspection;
        if (hasKeys) await keys.load();
      } catch (err) {
        throw readinessError(config.issuer, err);
      }
    }),
  );
}

/**
 * Builds a token verifier; invalid options throw `ConfigInvalidError` now. Build it once and share it:
 * it holds the JWKS, discovery and verified-token caches.
 *
 * Choices made for you (each can be changed where an option says so):
 * - `profile: 'rfc9068'` by default: `typ` must be `at+jwt` and the RFC 9068 claims present. Use
 *   `'lenient'` for issuers without RFC 9068 (Keycloak, Entra ID); ID tokens (`nonce`, `at_hash`,
 *   `aud` = `azp`, Keycloak `typ: "ID"`), logout tokens and SETs are refused in both profiles.
 * - The signature is checked first, then the claims (a forged token never learns which claim failed).
 * - A token without `kid` is accepted only when exactly one key of the set fits its `alg`.
 * - `http://` issuers, JWKS and introspection endpoints need `allowInsecureRequests` (tests only).
 * - Opaque (non-JWT) tokens go to the one issuer with `introspection`; its answer must carry a
 *   matching `aud` unless `requireAudience: false`.
 * - The verified-token cache (on by default, 10 000 entries / 16 MiB) is keyed by the token's
 *   SHA-256, serves an entry until the token's `exp` (or its maximum age), and skips `checkClaims`
 *   on a hit: a check that must run on every request (a `jti` deny-list) is `isRevoked`.
 * - Infrastructure failures (discovery, JWKS, introspection) are `UnavailableError` (503 with
 *   `Retry-After`); a `checkClaims` that throws something other than a restguard error refuses the
 *   token (401), never lets it pass.
 * @example
 * const verifier = createTokenVerifier({
 *   issuers: [{ issuer: 'https://idp.example', audience: 'https://api.example' }],
 * });
 * const principal = await verifier.verify(token); // { kind: 'token', subject, scopes, … }
 */
export function createTokenVerifier(options: TokenOptions): TokenVerifier {
  const parts = verifierParts(options);
  return {
    verify: (token) => verifyToken(parts, token),
    ready: () => readyAll(parts.byIssuer),
    close() {
      parts.cache?.clear();
    },
  };
}
