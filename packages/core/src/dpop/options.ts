/**
 * Options of DPoP (RFC 9449) at the resource server, checked at start-up.
 */
import { ConfigInvalidError } from '../errors.js';
import { optionKeys, refuseUnknownNestedOptions } from '../options-check.js';
import { type JwsAlgorithm, SUPPORTED_ALGORITHMS } from '../token/options.js';
import type { ReplayStore } from './replay-store.js';

/** `allowed`: bearer and DPoP-bound tokens; `required`: DPoP-bound tokens only (RFC 9449 §7.2). */
export type DpopPolicy = 'allowed' | 'required';

/**
 * DPoP at the resource server: `Authorization: DPoP <token>` with a `DPoP` proof header.
 * @example
 * const dpop: DpopOptions = {
 *   replayStore: createRedisReplayStore({ url: process.env.REDIS_URL }),
 *   policy: { 'https://idp.example': 'required' },
 *   nonce: { secret: process.env.DPOP_NONCE_SECRET },
 * };
 */
export interface DpopOptions {
  /**
   * Where proof `jti`s are remembered. Default: {@link createMemoryReplayStore} (one instance). Give
   * several instances a shared store (`@restguard/store-redis`, `@restguard/store-postgres`).
   */
  readonly replayStore?: ReplayStore;
  /** Proof algorithms accepted (asymmetric only). Default: ES256/384/512, PS256/384/512, RS256/384/512, EdDSA. */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** `allowed` (default) or `required`, for every issuer or per issuer (`{ [issuer]: policy }`). */
  readonly policy?: DpopPolicy | Readonly<Record<string, DpopPolicy>>;
  /** A proof's `iat` may be at most this old. Default 300 s. */
  readonly maxAgeSeconds?: number;
  /** A proof's `iat` may be at most this far in the future. Default 30 s. */
  readonly clockSkewSeconds?: number;
  /**
   * RFC 9449 §8 server nonces: proofs must carry a nonce the server issued (`DPoP-Nonce`). The secret
   * (≥ 32 bytes, the same on every instance) derives the nonces; they rotate every `rotateSeconds`
   * (default 300) and the previous one stays valid. Default: off.
   */
  readonly nonce?: { readonly secret: string | Uint8Array; readonly rotateSeconds?: number };
  /**
   * The origin clients call (`https://api.example`) for the `htu` check (RFC 9449 §4.3 step 9).
   * Default: `tls.publicOrigin`, else the request's `Host` with the scheme the TLS policy saw.
   */
  readonly origin?: string;
  /** Clock in milliseconds. Default `Date.now`. */
  readonly clock?: () => number;
}

/** Every key of {@link DpopOptions}; anything else is refused at start-up. */
const DPOP_OPTION_KEYS = optionKeys<DpopOptions>({
  replayStore: true,
  algorithms: true,
  policy: true,
  maxAgeSeconds: true,
  clockSkewSeconds: true,
  nonce: true,
  origin: true,
  clock: true,
});

/** Every key of {@link DpopOptions.nonce}; anything else is refused at start-up. */
const DPOP_NONCE_OPTION_KEYS = optionKeys<NonNullable<DpopOptions['nonce']>>({
  secret: true,
  rotateSeconds: true,
});

/** DPoP options with every default filled in. */
export interface ResolvedDpopOptions {
  readonly algorithms: readonly JwsAlgorithm[];
  /** The policy for a token's issuer. */
  readonly policy: (issuer: string | undefined) => DpopPolicy;
  readonly maxAgeSeconds: number;
  readonly clockSkewSeconds: number;
  readonly nonce?: { readonly secret: Uint8Array; readonly rotateSeconds: number };
  readonly origin?: string;
  /** Current time in milliseconds. */
  readonly clock: () => number;
}

/** Default proof algorithms: every supported asymmetric algorithm but the `Ed25519` alias. */
export const DEFAULT_DPOP_ALGORITHMS: readonly JwsAlgorithm[] = SUPPORTED_ALGORITHMS.filter(
  (alg) => alg !== 'Ed25519',
).sort((a, b) => (a.startsWith('ES') ? 0 : 1) - (b.startsWith('ES') ? 0 : 1));

function checkPolicy(value: unknown, where: string): DpopPolicy {
  if (value !== 'allowed' && value !== 'required') {
    throw new ConfigInvalidError(`${where} must be "allowed" or "required".`);
  }
  return value;
}

function seconds(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigInvalidError(`dpop.${name} must be > 0.`);
  return value;
}

/**
 * Checks DPoP options and fills in defaults; throws {@link ConfigInvalidError} for a bad one.
 * @example
 * const resolved = resolveDpopOptions({ policy: 'required' });
 */
export function resolveDpopOptions(options: DpopOptions): ResolvedDpopOptions {
  refuseUnknownNestedOptions(options, DPOP_OPTION_KEYS, 'dpop');
  refuseUnknownNestedOptions(options?.nonce, DPOP_NONCE_OPTION_KEYS, 'dpop.nonce');
  const algorithms = options.algorithms ?? DEFAULT_DPOP_ALGORITHMS;
  if (algorithms.length === 0) throw new ConfigInvalidError('dpop.algorithms must not be empty.');
  for (const alg of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new ConfigInvalidError(
        `dpop.algorithms: "${alg}" is not an asymmetric algorithm restguard supports.`,
      );
    }
  }
  let policy: ResolvedDpopOptions['policy'];
  if (options.policy === undefined || typeof options.policy === 'string') {
    const all = checkPolicy(options.policy ?? 'allowed', 'dpop.policy');
    policy = () => all;
  } else {
    const table = new Map<string, DpopPolicy>();
    for (const [issuer, value] of Object.entries(options.policy)) {
      table.set(issuer, checkPolicy(value, `dpop.policy["${issuer}"]`));
    }
    policy = (issuer) => (issuer === undefined ? 'allowed' : (table.get(issuer) ?? 'allowed'));
  }
  let nonce: ResolvedDpopOptions['nonce'];
  if (options.nonce !== undefined) {
    const secret =
      typeof options.nonce.secret === 'string'
        ? new TextEncoder().encode(options.nonce.secret)
        : options.nonce.secret;
    if (!(secret instanceof Uint8Array) || secret.length < 32) {
      throw new ConfigInvalidError('dpop.nonce.secret must be at least 32 bytes.');
    }
    nonce = { secret, rotateSeconds: seconds(options.nonce.rotateSeconds, 300, 'nonce.rotateSeconds') };
  }
  let origin: string | undefined;
  if (options.origin !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(options.origin);
    } catch {}
    if (
      !url ||
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.pathname !== '/' ||
      url.search
    ) {
      throw new ConfigInvalidError('dpop.origin must be an origin such as https://api.example.');
    }
    origin = url.origin;
  }
  return {
    algorithms,
    policy,
    maxAgeSeconds: seconds(options.maxAgeSeconds, 300, 'maxAgeSeconds'),
    clockSkewSeconds: seconds(options.clockSkewSeconds, 30, 'clockSkewSeconds'),
    ...(nonce ? { nonce } : {}),
    ...(origin ? { origin } : {}),
    clock: options.clock ?? Date.now,
  };
}
