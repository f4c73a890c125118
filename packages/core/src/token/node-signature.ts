/**
 * The `node:crypto` signature step (RFC 7515 §5.2 step 8; algorithms per RFC 7518 §3.3–3.5 and
 * RFC 8037 §3.1): synchronous verification with `KeyObject`s instead of Web Crypto. Same answers,
 * less overhead: no promise and no thread-pool hop per `crypto.subtle` call, no per-call algorithm
 * normalisation. It is the default on Node.js (see `runtime/node-crypto.ts`); this module takes the
 * crypto module as a parameter so that the main entry never imports a Node built-in.
 *
 * Faithfulness by construction, and checked by a differential test against jose
 * (`node/fast-signature.test.ts`), with the token security suites run on both steps:
 * - Keys are imported by the Web Crypto step itself (jose `importJWK`) and only then turned into a
 *   `KeyObject` (`KeyObject.from`), so exactly the same JWKs are accepted or refused.
 * - Each imported key stays bound to the algorithm it was imported for; using it with another
 *   algorithm is a refusal, as jose refuses a key whose algorithm does not match (`EdDSA` and
 *   `Ed25519` are one algorithm).
 * - ECDSA signatures must be IEEE P1363 (`r ‖ s`) of the exact length (RFC 7518 §3.4); RSA-PSS uses a
 *   salt as long as the hash, as Web Crypto does; EdDSA is Ed25519 only.
 * - `verify` never throws: anything unexpected is `false`.
 */
import type { KeyObject } from 'node:crypto';
import { type NodeCrypto, sha256Base64url } from '../runtime/node-crypto.js';
import type { JwsAlgorithm } from './options.js';
import { type SignatureVerifier, webCryptoSignatureVerifier } from './signature.js';

/** A public key imported for exactly one algorithm. */
interface BoundKey {
  readonly alg: JwsAlgorithm;
  readonly key: KeyObject;
}

const HASH: Partial<Record<JwsAlgorithm, string>> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};
const EC_SIGNATURE_LENGTH: Partial<Record<JwsAlgorithm, number>> = { ES256: 64, ES384: 96, ES512: 132 };
const KEY_TYPE: Record<string, string> = { RS: 'rsa', PS: 'rsa', ES: 'ec', Ed: 'ed25519' };
/** Imported keys kept across JWKS refreshes (same JWK and algorithm → same KeyObject). */
const MAX_CACHED_KEYS = 256;

/** `EdDSA` and `Ed25519` (RFC 9864) name the same algorithm and share keys, as in jose. */
const isEd = (alg: JwsAlgorithm) => alg === 'EdDSA' || alg === 'Ed25519';

/**
 * A signature step that also offers `tokenDigest`: the verified-token cache key (base64url SHA-256 of
 * the token, the same value as core's Web Crypto `tokenDigest`), computed synchronously.
 */
export interface NodeSignatureVerifier extends SignatureVerifier {
  /** base64url(SHA-256(token)), synchronously: equal to core's Web Crypto `tokenDigest`. */
  tokenDigest(token: string): string;
  verifySync(alg: JwsAlgorithm, key: unknown, signingInput: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Builds the `node:crypto` step over a given crypto module, with its own bounded cache of imported
 * keys (keyed by the JWK's public members and the algorithm, so a refreshed JWKS does not re-import
 * unchanged keys).
 * @example
 * const step = createNodeCryptoSignatureVerifier(nodeCrypto()!);
 */
export function createNodeCryptoSignatureVerifier(crypto: NodeCrypto): NodeSignatureVerifier {
  const { KeyObject, constants } = crypto;
  const cryptoVerify = crypto.verify;

  function verifySync(alg: JwsAlgorithm, bound: BoundKey, input: Uint8Array, signature: Uint8Array) {
    if (bound.alg !== alg && !(isEd(bound.alg) && isEd(alg))) return false;
    const { key } = bound;
    const family = alg.slice(0, 2);
    if (key.asymmetricKeyType !== KEY_TYPE[family]) return false;
    switch (family) {
      case 'RS':
        return cryptoVerify(HASH[alg]!, input, key, signature);
      case 'PS':
        return cryptoVerify(
          HASH[alg]!,
          input,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 },
          signature,
        );
      case 'ES':
        if (signature.length !== EC_SIGNATURE_LENGTH[alg]) return false;
        return cryptoVerify(HASH[alg]!, input, { key, dsaEncoding: 'ieee-p1363' }, signature);
      default:
        return isEd(alg) && cryptoVerify(null, input, key, signature);
    }
  }

  /** Never throws: a key it did not import, or anything unexpected, is `false`. */
  function checked(alg: JwsAlgorithm, key: unknown, input: Uint8Array, signature: Uint8Array): boolean {
    const bound = key as BoundKey | null;
    if (typeof bound !== 'object' || bound === null || !(bound.key instanceof KeyObject)) return false;
    try {
      return verifySync(alg, bound, input, signature);
    } catch {
      return false;
    }
  }

  const imported = new Map<string, Promise<BoundKey>>();
  return {
    importKey(jwk, alg) {
      const id = JSON.stringify([alg, jwk.kty, jwk.crv, jwk.n, jwk.e, jwk.x, jwk.y]);
      let bound = imported.get(id);
      if (!bound) {
        bound = webCryptoSignatureVerifier
          .importKey(jwk, alg)
          .then((cryptoKey) => ({ alg, key: KeyObject.from(cryptoKey as CryptoKey) }));
        bound.catch(() => imported.delete(id));
        if (imported.size >= MAX_CACHED_KEYS) imported.delete(imported.keys().next().value as string);
        imported.set(id, bound);
      }
      return bound;
    },
    tokenDigest: (token) => sha256Base64url(crypto, token),
    verifySync: checked,
    verify: (alg, key, signingInput, signature) =>
      Promise.resolve(checked(alg, key, signingInput, signature)),
  };
}
