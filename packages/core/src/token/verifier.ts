/**
 * `createTokenVerifier`: an access token in, a `token` principal or a restguard error out.
 * RFC 6750 bearer tokens are JWTs (RFC 9068, verified offline against the issuer's keys, hardened per
 * RFC 8725) or opaque tokens (RFC 7662 introspection). The token's unverified `iss` only selects among
 * the configured issuers; nothing is ever fetched from what a token says.
 */
import type { JWTPayload } from 'jose';
import { isRestguardError, TokenInvalidError, UnavailableError } from '../errors.js';
import { fault, readinessError } from '../fault.js';
import { freezePrincipal, type Principal, scopesFromClaims } from '../principal.js';
import type { SingleFlight } from './backoff.js';
import { TokenCache, tokenDigest } from './cache.js';
import { checkType, invalid, validateJwtClaims } from './claims.js';
import { createDiscovery, type IssuerMetadata } from './discovery.js';
import { createIntrospector, type Introspector } from './introspection.js';
import { type KeySource, remoteKeySource, staticKeySource } from './jwks.js';
import { looksLikeJws, parseCompactJws, type parseJws } from './jws.js';
import type { JwsAlgorithm, TokenOptions } from './options.js';
import { type ResolvedIssuer, resolveIssuers, resolveSettings } from './resolve.js';
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
  const issuers = resolveIssuers(options);
  const settings = resolveSettings(options);
  const clock = options.clock ?? Date.now;
  const verifier: SignatureVerifier = options.signatureVerifier ?? defaultSignatureVerifier();
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  const fetching = { fetch: fetchFn, timeoutMs: settings.timeoutMs, maxBytes: settings.maxResponseBytes };
  const insecure = options.allowInsecureRequests === true;
  const criticalHeaders = options.criticalHeaders ?? [];
  const cache =
    options.cache === false
      ? undefined
      : new TokenCache(
          options.cache?.maxEntries ?? 10_000,
          options.cache?.maxBytes ?? 16 * 1024 * 1024,
          clock,
        );

  const byIssuer = new Map<string, IssuerRuntime>();
  let introspector: Introspector | undefined;
  let introspectionIssuer: ResolvedIssuer | undefined;
  for (const config of issuers) {
    const needsDiscovery =
      (!config.jwks && !config.jwksUri) || (config.introspection && !config.introspection.endpoint);
    const discovery: SingleFlight<IssuerMetadata> | undefined = needsDiscovery
      ? createDiscovery(config.issuer, fetching, insecure, clock, settings.failureBackoffMs)
      : undefined;
    const keys = config.jwks
      ? staticKeySource(config.jwks, verifier)
      : remoteKeySource({
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
          fetching,
          verifier,
          clock,
          cooldownMs: settings.cooldownMs,
          failureBackoffMs: settings.failureBackoffMs,
          maxKeyAgeMs: settings.maxKeyAgeMs,
        });
    byIssuer.set(config.issuer, { config, keys, discovery });
    if (config.introspection) {
      introspectionIssuer = config;
      introspector = createIntrospector({
        issuer: config,
        settings,
        discovery,
        fetch: options.fetch,
        insecure,
      });
    }
  }

  async function runClaimCheck(
    claims: Record<string, unknown>,
    issuer: string,
    header?: ReturnType<typeof parseJws>['header'],
  ) {
    if (!options.checkClaims) return;
    let ok: boolean | undefined;
    try {
      ok = await options.checkClaims(claims as JWTPayload, {
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
  async function checkRevocation(principal: Principal): Promise<Principal> {
    let revoked: boolean | undefined;
    try {
      revoked = await options.isRevoked!(principal.claims ?? {}, { issuer: principal.issuer ?? '' });
    } catch (err) {
      if (isRestguardError(err)) throw err;
      throw new UnavailableError('The token revocation check is unavailable.', { cause: err });
    }
    if (revoked === true) throw new TokenInvalidError('The access token has been revoked.');
    return principal;
  }

  function principalOf(claims: Record<string, unknown>, issuer: ResolvedIssuer): Principal {
    const str = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
    const clientId = str(claims.client_id) ?? str(claims.azp);
    const subject = str(claims.sub) ?? clientId;
    if (!subject) throw invalid('claims');
    const principal: { -readonly [K in keyof Principal]: Principal[K] } = {
      kind: 'token',
      subject,
      scopes: scopesFromClaims(claims, issuer.scopeClaim),
      issuer: issuer.issuer,
    };
    if (clientId) principal.clientId = clientId;
    principal.claims = claims as JWTPayload;
    return freezePrincipal(principal);
  }

  /** When a cached entry stops being served (ms): exp, capped by the maximum token age. */
  function expiryOf(claims: Record<string, unknown>, capMs = Number.POSITIVE_INFINITY): number {
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
    const age =
      settings.maxTokenAgeSeconds !== undefined && typeof claims.iat === 'number'
        ? (claims.iat + settings.maxTokenAgeSeconds) * 1000
        : Number.POSITIVE_INFINITY;
    return Math.min(exp, age, capMs);
  }

  async function verifyJwt(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    const jws = parseCompactJws(token, criticalHeaders); // looksLikeJws(token) holds
    const runtime = typeof jws.payload.iss === 'string' ? byIssuer.get(jws.payload.iss) : undefined;
    if (!runtime) throw invalid('issuer');
    const { config } = runtime;
    const alg = jws.header.alg as JwsAlgorithm;
    if (!config.algorithms.has(alg)) throw invalid('algorithm');
    checkType(jws.header.typ, config.profile);
    const candidates =
      runtime.keys.known(jws.header.kid, alg) ?? (await runtime.keys.candidates(jws.header.kid, alg));
    let verified = false;
    for (const key of candidates) {
      if (
        verifier.verifySync
          ? verifier.verifySync(alg, key, jws.signingInput, jws.signature)
          : await verifier.verify(alg, key, jws.signingInput, jws.signature)
      ) {
        verified = true;
        break;
      }
    }
    if (!verified) throw invalid('signature');
    validateJwtClaims(jws.payload, config, settings, Math.floor(clock() / 1000));
    if (options.checkClaims) await runClaimCheck(jws.payload, config.issuer, jws.header);
    return { principal: principalOf(jws.payload, config), expiresAt: expiryOf(jws.payload) };
  }

  async function verifyOpaque(token: string): Promise<{ principal: Principal; expiresAt: number }> {
    if (!introspector || !introspectionIssuer) throw invalid('malformed');
    const claims = await introspector(token, Math.floor(clock() / 1000));
    await runClaimCheck(claims, introspectionIssuer.issuer);
    const maxCache = (introspectionIssuer.introspection?.maxCacheSeconds ?? 60) * 1000;
    return {
      principal: principalOf(claims, introspectionIssuer),
      expiresAt: expiryOf(claims, clock() + maxCache),
    };
  }

  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0) throw invalid('malformed');
      if (token.length > settings.maxTokenLength) throw invalid('malformed');
      let key = '';
      if (cache) {
        const digest = verifier.tokenDigest?.(token) ?? tokenDigest(token);
        key = typeof digest === 'string' ? digest : await digest;
        const hit = cache.get(key);
        if (hit) return options.isRevoked ? checkRevocation(hit) : hit;
      }
      const { principal, expiresAt } = looksLikeJws(token)
        ? await verifyJwt(token)
        : await verifyOpaque(token);
      cache?.set(key, principal, expiresAt);
      return options.isRevoked ? checkRevocation(principal) : principal;
    },
    async ready() {
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
    },
    close() {
      cache?.clear();
    },
  };
}
