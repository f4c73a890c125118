/**
 * Keys and tokens for the benchmarks: one key pair per algorithm, RFC 9068 access tokens (RFC 9068 §2)
 * signed with `node:crypto` (RFC 7515 §5.1 compact serialization), API keys and their records.
 *
 * Key pairs are generated as PEM and re-imported (TOOLCHAIN.md: Node 20 can deadlock exporting a JWK
 * from a freshly generated KeyObject).
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto';
import { promisify } from 'node:util';

/** The JWS algorithms the benchmarks cover (issue 8). */
export const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
/** One of {@link ALGORITHMS}. */
export type Algorithm = (typeof ALGORITHMS)[number];

/** A public JWK as published in a JWKS. */
export type PublicJwk = Record<string, string>;

/** A signing key and everything a verifier needs about its public half. */
export interface BenchKey {
  readonly alg: Algorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicPem: string;
  readonly publicJwk: PublicJwk;
}

type PemPair = { publicKey: string; privateKey: string };
const generate = promisify(generateKeyPair) as unknown as (type: string, options: object) => Promise<PemPair>;
const pem = {
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
} as const;

async function pemPair(alg: Algorithm): Promise<PemPair> {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      return generate('rsa', { modulusLength: 2048, ...pem });
    case 'ES256':
      return generate('ec', { namedCurve: 'P-256', ...pem });
    case 'EdDSA':
      return generate('ed25519', pem);
  }
}

/**
 * Generates a key pair for `alg` with a fresh `kid`.
 * @example
 * const key = await createBenchKey('ES256');
 */
export async function createBenchKey(
  alg: Algorithm,
  kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`,
): Promise<BenchKey> {
  const pair = await pemPair(alg);
  const publicKey = createPublicKey(pair.publicKey);
  const jwk = publicKey.export({ format: 'jwk' }) as PublicJwk;
  return {
    alg,
    kid,
    privateKey: createPrivateKey(pair.privateKey),
    publicKey,
    publicPem: pair.publicKey,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
  };
}

const b64url = (input: Buffer | string) => Buffer.from(input).toString('base64url');

/**
 * Signs `input` (the JWS signing input) the way RFC 7518 §3 specifies for `alg`.
 * @example
 * const signature = signJws('ES256', key.privateKey, Buffer.from('header.payload'));
 */
export function signJws(alg: Algorithm, key: KeyObject, input: Buffer): Buffer {
  switch (alg) {
    case 'RS256':
      return sign('sha256', input, key);
    case 'PS256':
      return sign('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'ES256':
      return sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, input, key);
  }
}

/** Who the benchmark tokens are for. */
export interface TokenAudience {
  readonly issuer: string;
  readonly audience: string;
}

/**
 * Mints a compact JWS access token (RFC 9068: `typ: at+jwt`, iss, sub, aud, exp, iat, jti, client_id,
 * scope). `header` and `claims` override the defaults (used to forge wrong-alg and similar tokens).
 * @example
 * const token = mintToken(key, { issuer, audience }, { scope: 'read' });
 */
export function mintToken(
  key: BenchKey,
  target: TokenAudience,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const h = b64url(JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }));
  const body = {
    iss: target.issuer,
    sub: 'bench-user',
    aud: target.audience,
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    client_id: 'bench-client',
    scope: 'read write',
    ...claims,
  };
  const input = `${h}.${b64url(JSON.stringify(body))}`;
  return `${input}.${signJws(key.alg, key.privateKey, Buffer.from(input)).toString('base64url')}`;
}

/**
 * Flips one character in the middle of the signature: a structurally valid token whose signature fails.
 * @example
 * const forged = tamperSignature(token);
 */
export function tamperSignature(token: string): string {
  const dot = token.lastIndexOf('.');
  const at = dot + 1 + Math.floor((token.length - dot - 1) / 2);
  const ch = token[at] === 'A' ? 'B' : 'A';
  return token.slice(0, at) + ch + token.slice(at + 1);
}

/**
 * Mints `count` distinct tokens (distinct `jti`), for the cache-cold rows.
 * @example
 * const pool = mintMany(key, target, 1000);
 */
export function mintMany(key: BenchKey, target: TokenAudience, count: number): string[] {
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = mintToken(key, target);
  return out;
}
