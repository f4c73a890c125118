/**
 * The signature step (RFC 7515 §5.2 step 8), kept behind a small interface so that a Node-only
 * implementation (`node:crypto`) can replace the default Web Crypto one without touching claim
 * validation. Any replacement must accept and reject exactly what this one does (differential test).
 */
import { importJWK, type JWK } from 'jose';
import type { JwsAlgorithm } from './options.js';

/** Verifies JWS signatures with keys it imported itself. */
export interface SignatureVerifier {
  /** Imports a public JWK (already filtered for `alg`) into whatever key form `verify` takes. */
  importKey(jwk: JWK, alg: JwsAlgorithm): Promise<unknown>;
  /** True when `signature` is valid over `signingInput` (ASCII of `header.payload`). Never throws. */
  verify(alg: JwsAlgorithm, key: unknown, signingInput: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /**
   * Optional: the same answer as {@link verify}, synchronously, for a runtime with a synchronous
   * verifier (`node:crypto`). A token verifier prefers it: no promise per signature.
   */
  verifySync?(alg: JwsAlgorithm, key: unknown, signingInput: Uint8Array, signature: Uint8Array): boolean;
  /**
   * Optional: the verified-token cache key, equal to `tokenDigest(token)` (base64url SHA-256). A
   * runtime with a synchronous hash supplies it to keep Web Crypto's thread-pool hop off the hot path.
   */
  tokenDigest?(token: string): string | Promise<string>;
}

type VerifyParams = AlgorithmIdentifier | RsaPssParams | EcdsaParams;

/** Web Crypto parameters of `crypto.subtle.verify` per algorithm. */
function params(alg: JwsAlgorithm): VerifyParams {
  const bits = alg.slice(2);
  switch (alg.slice(0, 2)) {
    case 'RS':
      return { name: 'RSASSA-PKCS1-v1_5' };
    case 'PS':
      return { name: 'RSA-PSS', saltLength: Number(bits) / 8 } as RsaPssParams;
    case 'ES':
      return { name: 'ECDSA', hash: `SHA-${bits}` } as EcdsaParams;
    default:
      return { name: 'Ed25519' };
  }
}

/** Bytes of an ECDSA signature (r ‖ s, RFC 7518 §3.4) per algorithm. */
const EC_SIGNATURE_LENGTH: Partial<Record<JwsAlgorithm, number>> = { ES256: 64, ES384: 96, ES512: 132 };

/**
 * The portable signature step: jose imports the key, Web Crypto verifies. Runs on any runtime with
 * Web Crypto (Node, Deno, Bun, Cloudflare Workers, Vercel Edge).
 * @example
 * const key = await webCryptoSignatureVerifier.importKey(jwk, 'ES256');
 * const ok = await webCryptoSignatureVerifier.verify('ES256', key, input, signature);
 */
export const webCryptoSignatureVerifier: SignatureVerifier = {
  async importKey(jwk, alg) {
    return importJWK({ ...jwk, alg: alg === 'Ed25519' ? 'Ed25519' : alg, ext: true }, alg);
  },
  async verify(alg, key, signingInput, signature) {
    const expected = EC_SIGNATURE_LENGTH[alg];
    if (expected !== undefined && signature.length !== expected) return false;
    try {
      return await crypto.subtle.verify(
        params(alg),
        key as CryptoKey,
        signature as BufferSource,
        signingInput as BufferSource,
      );
    } catch {
      return false;
    }
  },
};
