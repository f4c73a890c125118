/**
 * The floor: the least a correct JWT check can do (RFC 7515 §5.2 validation, RFC 7519 §7.2 claims),
 * written directly on synchronous `node:crypto` with pre-built KeyObjects. No cache, no JWKS client,
 * no error mapping. Every other row is compared to it; nothing should be expected to beat it without
 * a cache.
 */
import { constants, type KeyObject, verify } from 'node:crypto';
import type { Algorithm, BenchKey, TokenAudience } from './keys.js';

/** Verifies a compact JWS and returns its payload, or null when anything is wrong. */
export type FloorVerify = (token: string) => Record<string, unknown> | null;

function checkSignature(alg: Algorithm, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  switch (alg) {
    case 'RS256':
      return verify('sha256', input, key, signature);
    case 'PS256':
      return verify(
        'sha256',
        input,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        signature,
      );
    case 'ES256':
      return verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'EdDSA':
      return verify(null, input, key, signature);
  }
}

function decodeJson(segment: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * Builds the floor verifier for a set of keys: the header's `kid` selects the key, `alg` must equal
 * the key's, then signature, `exp`, `iss` and `aud`.
 * @example
 * const floor = createFloorVerifier([key], { issuer, audience });
 * floor(token); // payload or null
 */
export function createFloorVerifier(keys: readonly BenchKey[], target: TokenAudience): FloorVerify {
  const byKid = new Map(keys.map((k) => [k.kid, k]));
  return (token) => {
    const first = token.indexOf('.');
    const last = token.lastIndexOf('.');
    if (first < 0 || first === last) return null;
    const header = decodeJson(token.slice(0, first));
    const key = header && typeof header.kid === 'string' ? byKid.get(header.kid) : undefined;
    if (!key || header!.alg !== key.alg) return null;
    const input = Buffer.from(token.slice(0, last));
    if (!checkSignature(key.alg, key.publicKey, input, Buffer.from(token.slice(last + 1), 'base64url')))
      return null;
    const payload = decodeJson(token.slice(first + 1, last));
    if (!payload || typeof payload.exp !== 'number' || payload.exp <= Date.now() / 1000) return null;
    if (payload.iss !== target.issuer) return null;
    const aud = payload.aud;
    if (aud !== target.audience && !(Array.isArray(aud) && aud.includes(target.audience))) return null;
    return payload;
  };
}

/**
 * True when the payload's `scope` claim (space-separated) holds `scope`.
 * @example
 * hasScope({ scope: 'read write' }, 'read'); // true
 */
export function hasScope(payload: Record<string, unknown>, scope: string): boolean {
  return typeof payload.scope === 'string' && payload.scope.split(' ').includes(scope);
}
