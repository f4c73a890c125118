/**
 * DPoP proofs for tests (RFC 9449 §4.2): a client key pair, its RFC 7638 thumbprint (the `cnf.jkt` to
 * mint into a bound token) and proofs for any request, well-formed or deliberately wrong.
 */
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** What one proof is for; every member can be overridden to build a wrong proof. */
export interface DpopProofInput {
  /** The HTTP method (`htm`). */
  readonly htm: string;
  /** The URL called (`htu`). */
  readonly htu: string;
  /** The access token sent with the proof; its hash becomes `ath`. */
  readonly accessToken?: string;
  /** A server nonce (`nonce`). */
  readonly nonce?: string;
  /** Default: a random one. */
  readonly jti?: string;
  /** Seconds since the epoch. Default: now. */
  readonly iat?: number;
  /** Header `typ`. Default `dpop+jwt`. */
  readonly typ?: string;
  /** Header `jwk`. Default: the prover's public key. */
  readonly jwk?: JWK;
}

/** A DPoP client key that signs proofs. */
export interface DpopProver {
  /** The public key, as a proof carries it. */
  readonly publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key: the token's `cnf.jkt`. */
  readonly jkt: string;
  /** The signing algorithm. */
  readonly alg: string;
  /** Signs a proof for one request. */
  proof(input: DpopProofInput): Promise<string>;
}

/**
 * Makes a DPoP client key (ES256 unless told) and signs proofs with it.
 * @example
 * const prover = await createDpopProver();
 * const token = await issuer.mint({ scope: 'read', cnf: { jkt: prover.jkt } });
 * const proof = await prover.proof({ htm: 'GET', htu: 'https://api.example/notes', accessToken: token });
 * await fetch('https://api.example/notes', { headers: { authorization: `DPoP ${token}`, dpop: proof } });
 */
export async function createDpopProver(
  alg: 'ES256' | 'ES384' | 'PS256' | 'RS256' | 'EdDSA' = 'ES256',
): Promise<DpopProver> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(publicJwk, 'sha256');
  return {
    publicJwk,
    jkt,
    alg,
    async proof(input) {
      const claims: Record<string, unknown> = {
        jti: input.jti ?? crypto.randomUUID(),
        htm: input.htm,
        htu: input.htu,
      };
      if (input.accessToken !== undefined) {
        const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(input.accessToken));
        claims.ath = base64url.encode(new Uint8Array(digest));
      }
      if (input.nonce !== undefined) claims.nonce = input.nonce;
      return new SignJWT(claims)
        .setProtectedHeader({ alg, typ: input.typ ?? 'dpop+jwt', jwk: input.jwk ?? publicJwk })
        .setIssuedAt(input.iat ?? Math.floor(Date.now() / 1000))
        .sign(privateKey);
    },
  };
}
