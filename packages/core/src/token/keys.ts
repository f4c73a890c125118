/**
 * JWK filtering and selection (RFC 7517 §4, RFC 8725 §3.1, RFC 7518 §3.3): only asymmetric signing
 * keys fitting the token's algorithm are ever used — never `oct`, never `use: "enc"`, never RSA under
 * 2048 bits, never a key whose `alg` differs from the token's. Private members are dropped before
 * import. Header key references (`jku`, `x5u`, `jwk`, `x5c`) play no part here: keys come only from
 * the configured key set.
 */
import { base64url, type JWK } from 'jose';
import type { JwsAlgorithm } from './options.js';
import type { SignatureVerifier } from './signature.js';

const CURVE: Partial<Record<JwsAlgorithm, string>> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
  EdDSA: 'Ed25519',
  Ed25519: 'Ed25519',
};

function rsaBits(n: string): number {
  let bytes: Uint8Array;
  try {
    bytes = base64url.decode(n);
  } catch {
    return 0;
  }
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * The public JWK to import for `alg`, or null when the key must not be used for it.
 * @example
 * usableKey({ kty: 'oct', k: '…' }, 'RS256'); // null
 */
export function usableKey(jwk: unknown, alg: JwsAlgorithm): JWK | null {
  if (typeof jwk !== 'object' || jwk === null) return null;
  const key = jwk as Record<string, unknown>;
  if (key.use !== undefined && key.use !== 'sig') return null;
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.includes('verify')))
    return null;
  if (key.alg !== undefined && key.alg !== alg) return null;
  const family = alg.slice(0, 2);
  if (family === 'RS' || family === 'PS') {
    if (key.kty !== 'RSA' || !isString(key.n) || !isString(key.e) || rsaBits(key.n) < 2048) return null;
    return { kty: 'RSA', n: key.n, e: key.e };
  }
  if (family === 'ES') {
    if (key.kty !== 'EC' || key.crv !== CURVE[alg] || !isString(key.x) || !isString(key.y)) return null;
    return { kty: 'EC', crv: CURVE[alg], x: key.x, y: key.y };
  }
  if (key.kty !== 'OKP' || key.crv !== 'Ed25519' || !isString(key.x)) return null;
  return { kty: 'OKP', crv: 'Ed25519', x: key.x };
}

const memoKey = (kid: string | undefined, alg: JwsAlgorithm) => (kid === undefined ? alg : `${alg}#${kid}`);

/** A JWK Set ready for lookups, importing each (key, alg) pair once. */
export class KeySet {
  private readonly imported = new Map<string, Promise<unknown>>();
  /**
   * Non-empty answers of {@link candidates} by `kid` and `alg`. The set never changes (a refresh
   * builds a new one), so an answer stays true; only keys that exist are remembered, so this holds
   * at most one entry per (key, algorithm), whatever `kid`s requests make up.
   */
  private readonly found = new Map<string, unknown[]>();
  constructor(
    private readonly keys: readonly unknown[],
    private readonly verifier: SignatureVerifier,
  ) {}

  /** The non-empty answer of {@link candidates} when it was given before; else undefined. */
  known(kid: string | undefined, alg: JwsAlgorithm): unknown[] | undefined {
    return this.found.get(memoKey(kid, alg));
  }

  /**
   * The imported keys a token with (`kid`, `alg`) may be verified with. With a `kid`: every usable key
   * with that `kid`. Without: the one usable key, or none when the set has several (ambiguous).
   */
  async candidates(kid: string | undefined, alg: JwsAlgorithm): Promise<unknown[]> {
    const memo = memoKey(kid, alg);
    const known = this.found.get(memo);
    if (known) return known;
    const matches: Array<{ index: number; jwk: JWK }> = [];
    this.keys.forEach((raw, index) => {
      const rawKid = (raw as { kid?: unknown } | null)?.kid;
      if (kid !== undefined && rawKid !== kid) return;
      const jwk = usableKey(raw, alg);
      if (jwk) matches.push({ index, jwk });
    });
    if (kid === undefined && matches.length !== 1) return [];
    const out: unknown[] = [];
    for (const { index, jwk } of matches) {
      const id = `${index}|${alg}`;
      let key = this.imported.get(id);
      if (!key) {
        key = this.verifier.importKey(jwk, alg).catch(() => null);
        this.imported.set(id, key);
      }
      const value = await key;
      if (value !== null) out.push(value);
    }
    if (out.length > 0) this.found.set(memo, out);
    return out;
  }

  /** True when some key has this `kid` (any algorithm). */
  hasKid(kid: string): boolean {
    return this.keys.some((raw) => (raw as { kid?: unknown } | null)?.kid === kid);
  }
}
