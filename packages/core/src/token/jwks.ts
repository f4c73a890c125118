/**
 * The JWKS client (RFC 7517 §5), with restguard's contract: an unknown `kid` refetches at most once
 * per cooldown after a success; one fetch in flight however many requests wait; each fetch times out
 * (≤ 5 s); while the JWKS is unreachable, cached keys keep working and an unknown `kid` gets 503; a
 * failed fetch is retried after a shorter backoff (≤ 15 s). Old keys are refreshed in the background.
 */
import { fault } from '../fault.js';
import { SingleFlight } from './backoff.js';
import { type FetchJsonOptions, fetchJson } from './fetch-json.js';
import { KeySet } from './keys.js';
import type { JwsAlgorithm } from './options.js';
import type { SignatureVerifier } from './signature.js';

/** Where keys come from: a static set or a remote JWKS. */
export interface KeySource {
  /** Imported keys a token with (`kid`, `alg`) may be checked with; `[]`: none (invalid token). */
  candidates(kid: string | undefined, alg: JwsAlgorithm): Promise<unknown[]>;
  /**
   * The same answer when it is already known (keys fetched and imported before), synchronously;
   * undefined otherwise (ask {@link candidates}). Keeps the common case off the promise machinery.
   */
  known(kid: string | undefined, alg: JwsAlgorithm): unknown[] | undefined;
  /** Loads the keys now unless they are loaded (`guard.ready()`); throws as a request would. */
  load(): Promise<void>;
}

/**
 * A key source over a static JWK Set: never fetched, an unknown `kid` is simply invalid.
 * @example
 * const source = staticKeySource({ keys: [publicJwk] }, webCryptoSignatureVerifier);
 */
export function staticKeySource(jwks: { keys: readonly unknown[] }, verifier: SignatureVerifier): KeySource {
  const set = new KeySet(jwks.keys, verifier);
  return {
    candidates: (kid, alg) => set.candidates(kid, alg),
    known: (kid, alg) => set.known(kid, alg),
    load: async () => {},
  };
}

/** Settings of a remote key source. */
export interface RemoteKeySourceOptions {
  /** Resolves the JWKS URL (fixed, or from discovery; may throw UnavailableError). */
  readonly uri: () => Promise<string>;
  readonly fetching: FetchJsonOptions;
  readonly verifier: SignatureVerifier;
  readonly clock: () => number;
  readonly cooldownMs: number;
  readonly failureBackoffMs: number;
  readonly maxKeyAgeMs: number;
}

/**
 * A key source over a remote JWKS, following the contract above.
 * @example
 * const source = remoteKeySource({ uri: async () => jwksUri, fetching, verifier, clock: Date.now,
 *   cooldownMs: 30_000, failureBackoffMs: 10_000, maxKeyAgeMs: 600_000 });
 */
export function remoteKeySource(options: RemoteKeySourceOptions): KeySource {
  let keys: KeySet | undefined;
  const flight = new SingleFlight<void>(
    async () => {
      const uri = await options.uri();
      const document = await fetchJson(uri, options.fetching);
      if (!Array.isArray(document.keys)) {
        throw fault('json_shape', uri, { message: `${uri} did not answer a JWK Set (no "keys" array).` });
      }
      keys = new KeySet(document.keys, options.verifier);
    },
    options.clock,
    options.failureBackoffMs,
  );

  /** Keys older than maxKeyAgeMs are refetched in the background while they keep serving. */
  const refreshIfOld = () => {
    if (options.clock() - (flight.succeededAt ?? 0) < options.maxKeyAgeMs) return;
    if (!flight.busy && flight.backoffLeft() === 0) flight.run().catch(() => undefined);
  };

  return {
    async load() {
      if (!keys) await flight.run();
    },
    known(kid, alg) {
      const found = keys?.known(kid, alg);
      if (found) refreshIfOld();
      return found;
    },
    async candidates(kid, alg) {
      if (!keys) await flight.run();
      const found = await keys!.candidates(kid, alg);
      if (found.length > 0) {
        refreshIfOld();
        return found;
      }
      // Unknown kid (or no usable key): refetch, unless one is in flight (join it), the last attempt
      // failed (503 during the backoff), or the last success is younger than the cooldown.
      if (!flight.busy && flight.failedAt === undefined) {
        const age = options.clock() - (flight.succeededAt ?? Number.NEGATIVE_INFINITY);
        if (age < options.cooldownMs) return [];
      }
      await flight.run();
      return keys!.candidates(kid, alg);
    },
  };
}
