/**
 * DPoP at the resource server, RFC 9449: §4.3 proof checks (each numbered step below), §6.1 key
 * binding through `cnf.jkt` (RFC 7638 thumbprint), §7.1 the DPoP scheme, §7.2 a bound token never
 * accepted as a bearer token, §8 server nonces, §11.1 replay (through a {@link ReplayStore}).
 */
import {
  base64url,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  type JWK,
  jwtVerify,
} from 'jose';
import {
  DpopNonceRequiredError,
  DpopProofInvalidError,
  isRestguardError,
  TokenInvalidError,
  UnavailableError,
} from '../errors.js';
import type { Principal } from '../principal.js';
import type { AuthRequest } from '../request.js';
import { createNonceSource, type NonceSource } from './nonce.js';
import { type DpopOptions, type ResolvedDpopOptions, resolveDpopOptions } from './options.js';
import { createMemoryReplayStore, type ReplayStore } from './replay-store.js';

/** Checks the DPoP side of a request whose token is already verified. */
export interface DpopVerifier {
  readonly options: ResolvedDpopOptions;
  /**
   * For a token sent with the DPoP scheme: checks its proof and binding. For a bearer token: refuses
   * it when DPoP-bound or when its issuer requires DPoP. Throws a restguard error.
   */
  check(
    request: AuthRequest,
    token: string,
    scheme: 'bearer' | 'dpop',
    principal: Principal,
    origin: string,
  ): Promise<void>;
  /** The nonce to hand out now (`DPoP-Nonce`), or undefined when nonces are off. */
  nonce(): Promise<string | undefined>;
  /** Stops the verifier's background work. */
  close(): Promise<void>;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const encoder = new TextEncoder();

function proofInvalid(message: string, cause?: unknown): DpopProofInvalidError {
  return new DpopProofInvalidError(message, cause === undefined ? undefined : { cause });
}

/** The `jkt` of a `cnf` claim (RFC 9449 §6.1), or undefined. */
export function boundThumbprint(claims: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const cnf = claims?.cnf;
  if (typeof cnf !== 'object' || cnf === null) return undefined;
  const jkt = (cnf as Record<string, unknown>).jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}

/** RFC 9449 §4.3 step 9: scheme and host lower-case, default port dropped, no query or fragment. */
function normaliseHtu(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}

/** The URL the client called, without query: `origin` plus the request target's path. */
function requestHtu(request: AuthRequest, origin: string): string | undefined {
  const target = request.url.startsWith('/') ? origin + request.url : request.url;
  return normaliseHtu(target);
}

/** What a DPoP verifier is made of: built once from its options. */
interface DpopParts {
  readonly options: ResolvedDpopOptions;
  /** Where each proof's `jti` is claimed once (§11.1). */
  readonly store: ReplayStore;
  /** Server nonces (§8), when on. */
  readonly nonces: NonceSource | undefined;
  readonly algorithms: string[];
}

/**
 * Builds the DPoP verifier the guard uses; options are checked now.
 * @example
 * const dpop = createDpopVerifier({ policy: 'required' });
 * await dpop.check(request, token, 'dpop', principal, 'https://api.example');
 */
export function createDpopVerifier(input: DpopOptions): DpopVerifier {
  const options = resolveDpopOptions(input);
  const parts: DpopParts = {
    options,
    store: input.replayStore ?? createMemoryReplayStore({ clock: options.clock }),
    nonces: options.nonce
      ? createNonceSource(options.nonce.secret, options.nonce.rotateSeconds, options.clock)
      : undefined,
    algorithms: options.algorithms as string[],
  };
  return {
    options,
    async check(request, token, scheme, principal, origin) {
      if (scheme === 'bearer') return refuseBoundBearer(options, principal);
      const { jwk, jti } = await verifyProof(parts, request, token, origin);
      await checkKeyBinding(parts, principal, jwk, jti);
    },
    nonce: async () => parts.nonces?.current(),
    async close() {
      // A store passed in belongs to the caller; only the default memory store is ours (nothing to release).
    },
  };
}

/** §7.2: a bearer token is refused when DPoP-bound, or when its issuer requires DPoP. */
function refuseBoundBearer(options: ResolvedDpopOptions, principal: Principal): void {
  if (boundThumbprint(principal.claims) !== undefined) {
    throw new TokenInvalidError('The access token is DPoP-bound; send it with the DPoP scheme and a proof.');
  }
  if (options.policy(principal.issuer) === 'required') {
    throw new TokenInvalidError('This API accepts DPoP-bound access tokens only.');
  }
}

/** Step 12 and §6.1: the token is bound to the proof's very key; §11.1: each proof once. */
async function checkKeyBinding(parts: DpopParts, principal: Principal, jwk: JWK, jti: string): Promise<void> {
  const jkt = boundThumbprint(principal.claims);
  if (jkt === undefined) throw new TokenInvalidError('The access token is not bound to a DPoP key.');
  const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
  if (thumbprint !== jkt) throw new TokenInvalidError('The DPoP proof key does not match the access token.');
  // §11.1: each proof once, on every instance sharing the store.
  const lifetime = parts.options.maxAgeSeconds + parts.options.clockSkewSeconds;
  let first: boolean;
  try {
    first = await parts.store.claim(`${thumbprint}.${jti}`, lifetime);
  } catch (err) {
    if (isRestguardError(err)) throw err;
    throw new UnavailableError('The DPoP replay cache is unreachable.', { cause: err });
  }
  if (!first) throw proofInvalid('The DPoP proof was already used.');
}

/** §4.3: the request's one proof, its header, signature and claims; its key and `jti` when valid. */
async function verifyProof(
  parts: DpopParts,
  request: AuthRequest,
  token: string,
  origin: string,
): Promise<{ jwk: JWK; jti: string }> {
  // Step 1: exactly one DPoP header.
  const values = request.headers('dpop');
  if (values.length !== 1) throw proofInvalid('The request must carry exactly one DPoP proof.');
  const proof = values[0]!.trim();
  const jwk = proofKey(proof, parts.algorithms);
  // Step 6: the signature, with the embedded key.
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      algorithms: parts.algorithms,
      typ: 'dpop+jwt',
      currentDate: new Date(parts.options.clock()),
    }));
  } catch (err) {
    throw proofInvalid('The DPoP proof signature is not valid.', err);
  }
  const jti = checkProofClaims(parts.options, payload, request, origin);
  // Step 12: ath, the hash of the access token presented with it.
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(token));
  if (payload.ath !== base64url.encode(new Uint8Array(digest))) {
    throw proofInvalid('The DPoP proof is for another access token.');
  }
  // Step 10: the server nonce.
  const { nonces } = parts;
  if (nonces && (typeof payload.nonce !== 'string' || !(await nonces.accepts(payload.nonce)))) {
    throw new DpopNonceRequiredError(await nonces.current());
  }
  return { jwk, jti };
}

/** Step 2: a well-formed JWT; steps 3–5 and 7 (typ, alg, a public jwk) from its header, before any cryptography. */
function proofKey(proof: string, algorithms: readonly string[]): JWK {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch (err) {
    throw proofInvalid('The DPoP proof is malformed.', err);
  }
  if (header.typ !== 'dpop+jwt') throw proofInvalid('The DPoP proof must have typ dpop+jwt.');
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw proofInvalid('The DPoP proof uses an algorithm this API does not accept.');
  }
  const jwk = header.jwk as JWK | undefined;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw proofInvalid('The DPoP proof has no public key.');
  }
  // Step 7: the key must be public.
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) {
    throw proofInvalid('The DPoP proof key must be a public key.');
  }
  return jwk;
}

/** Steps 3, 8, 9 and 11: `jti`, `htm`, `htu` and `iat` present and matching the request; the `jti`. */
function checkProofClaims(
  options: ResolvedDpopOptions,
  payload: Record<string, unknown>,
  request: AuthRequest,
  origin: string,
): string {
  // Step 3: the required claims.
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) {
    throw proofInvalid('The DPoP proof needs a jti.');
  }
  if (typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number') {
    throw proofInvalid('The DPoP proof needs htm, htu and iat.');
  }
  // Step 8: the method.
  if (htm !== request.method) throw proofInvalid('The DPoP proof is for another HTTP method.');
  // Step 9: the URL, normalised, without query and fragment.
  const expected = requestHtu(request, origin);
  if (expected === undefined || normaliseHtu(htu) !== expected) {
    throw proofInvalid('The DPoP proof is for another URL.');
  }
  // Step 11: iat within the window.
  const now = options.clock() / 1000;
  if (iat > now + options.clockSkewSeconds) throw proofInvalid('The DPoP proof is issued in the future.');
  if (iat < now - options.maxAgeSeconds) throw proofInvalid('The DPoP proof is too old.');
  return jti;
}
