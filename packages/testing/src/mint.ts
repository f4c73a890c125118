/**
 * Token minting for the test issuer: RFC 9068 access tokens with sensible defaults, and deliberately
 * bad tokens for the attack families of RFC 8725 §2 (alg `none`, HMAC keyed with the public key,
 * stripped signatures, wrong keys, unknown `kid`, key injection through `jku`/`x5u`/`jwk`/`x5c`,
 * ID tokens presented as access tokens).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { type CryptoKey, exportSPKI, type JWTPayload, type KeyObject, SignJWT } from 'jose';
import type { KeyRing, TestAlgorithm } from './keys.js';

/** Claims to mint; a claim set to `undefined` removes that default (e.g. `{ exp: undefined }`). */
export type MintClaims = Record<string, unknown>;

/** How to sign a minted token. */
export interface MintOptions {
  /** Signing algorithm. Default: the issuer's `defaultAlgorithm` (RS256). */
  alg?: TestAlgorithm | (string & {});
  /** `kid` header. Default: the signing key's id; `null` omits it. */
  kid?: string | null;
  /** `typ` header. Default `at+jwt` (RFC 9068 §2.1); `null` omits it. */
  typ?: string | null;
  /** Extra or overriding protected-header parameters (`crit`, `jku`, …); applied last. */
  header?: Record<string, unknown>;
  /**
   * Signing key: `'current'` (published, default), `'other'` (same algorithm, never published) or your
   * own private key (pass `kid` and `alg` too).
   */
  key?: 'current' | 'other' | CryptoKey | KeyObject | Uint8Array;
  /** Lifetime in seconds when `exp` is not given. Default: the issuer's `tokenLifetimeSeconds`. */
  expiresIn?: number;
}

/** What minting needs to know about its issuer. */
export interface MintContext {
  readonly issuer: string;
  readonly audience: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scope: string;
  readonly defaultAlgorithm: TestAlgorithm;
  readonly tokenLifetimeSeconds: number;
  readonly keys: KeyRing;
}

const now = () => Math.floor(Date.now() / 1000);

/** The default RFC 9068 §2.2 claims, merged with `claims` (undefined values delete). */
export function accessTokenClaims(
  context: MintContext,
  claims: MintClaims = {},
  expiresIn?: number,
): JWTPayload {
  const iat = now();
  const base: MintClaims = {
    iss: context.issuer,
    sub: context.subject,
    aud: context.audience,
    client_id: context.clientId,
    iat,
    exp: iat + (expiresIn ?? context.tokenLifetimeSeconds),
    jti: randomUUID(),
    scope: context.scope,
  };
  return merge(base, claims) as JWTPayload;
}

/** Merges claims; a key whose value is `undefined` is removed. */
export function merge(base: MintClaims, overrides: MintClaims): MintClaims {
  const out: MintClaims = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}

/** Signs `payload` as a compact JWS with jose. Headers set to `undefined`/`null` are omitted. */
export async function signToken(
  context: MintContext,
  payload: MintClaims,
  options: MintOptions = {},
): Promise<string> {
  const alg = options.alg ?? context.defaultAlgorithm;
  let key: CryptoKey | KeyObject | Uint8Array;
  let kid: string | undefined;
  if (options.key === undefined || options.key === 'current') {
    const current = context.keys.currentKey(alg as TestAlgorithm);
    key = current.privateKey;
    kid = current.kid;
  } else if (options.key === 'other') {
    const other = await context.keys.otherKey(alg as TestAlgorithm);
    key = other.privateKey;
    // the wrong key claims to be the published one: only the signature can tell them apart
    kid = context.keys.currentKey(alg as TestAlgorithm).kid;
  } else key = options.key;
  if (options.kid !== undefined) kid = options.kid ?? undefined;
  const typ = options.typ === undefined ? 'at+jwt' : (options.typ ?? undefined);
  const header: Record<string, unknown> = { alg, ...(kid ? { kid } : {}), ...(typ ? { typ } : {}) };
  const merged = merge(header, options.header ?? {});
  const crit = Array.isArray(merged.crit) ? (merged.crit as string[]) : [];
  return new SignJWT(payload as JWTPayload)
    .setProtectedHeader(merged as { alg: string })
    .sign(key, { crit: Object.fromEntries(crit.map((name) => [name, true])) });
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * Builds a compact JWS by hand from any header and payload (even invalid ones) and a signature.
 * @example
 * encodeJws({ alg: 'none' }, { sub: 'x' }, ''); // 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'
 */
export function encodeJws(
  header: Record<string, unknown>,
  payload: MintClaims,
  signature: Buffer | string,
): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${typeof signature === 'string' ? signature : b64url(signature)}`;
}

/** Deliberately bad tokens: each one must be refused by a correct verifier. */
export interface BadTokens {
  /** `alg: "none"` with an empty signature (RFC 8725 §2.1). */
  algNone(claims?: MintClaims): Promise<string>;
  /** HS256 keyed with the issuer's public key (PEM), the classic algorithm confusion (RFC 8725 §2.1). */
  hmacWithPublicKey(claims?: MintClaims, alg?: TestAlgorithm): Promise<string>;
  /** A valid token with its signature removed (`header.payload.`). */
  strippedSignature(claims?: MintClaims): Promise<string>;
  /** Signed by an unpublished key of the same algorithm, but carrying the published key's `kid`. */
  wrongKey(claims?: MintClaims): Promise<string>;
  /** Signed by an unpublished key whose `kid` is not in the JWKS. */
  unknownKid(claims?: MintClaims): Promise<string>;
  /**
   * Signed by an attacker key, with a header pointing at that key (`jwk`, `x5c`) or at an attacker URL
   * (`jku`, `x5u`, default `url`). A verifier must neither use nor fetch it.
   */
  headerInjection(kind: 'jku' | 'x5u' | 'jwk' | 'x5c', claims?: MintClaims, url?: string): Promise<string>;
  /** A valid token whose payload was swapped after signing (claim substitution). */
  substitutedClaims(claims: MintClaims): Promise<string>;
  /** An OpenID Connect ID token (typ `JWT`, aud = client id, `nonce`, `azp`, `auth_time`), validly signed. */
  idToken(claims?: MintClaims): Promise<string>;
}

/** Builds the {@link BadTokens} helpers for an issuer. */
export function badTokens(context: MintContext): BadTokens {
  const claims = (extra?: MintClaims) => accessTokenClaims(context, extra);
  return {
    async algNone(extra) {
      return encodeJws({ alg: 'none', typ: 'at+jwt' }, claims(extra), '');
    },
    async hmacWithPublicKey(extra, alg = 'RS256') {
      const key = context.keys.currentKey(alg);
      const secret = await exportSPKI(key.publicKey);
      const header = { alg: 'HS256', typ: 'at+jwt', kid: key.kid };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims(extra)))}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    },
    async strippedSignature(extra) {
      const token = await signToken(context, claims(extra));
      return `${token.slice(0, token.lastIndexOf('.'))}.`;
    },
    async wrongKey(extra) {
      return signToken(context, claims(extra), { key: 'other' });
    },
    async unknownKid(extra) {
      const other = await context.keys.otherKey(context.defaultAlgorithm);
      return signToken(context, claims(extra), { key: other.privateKey, kid: other.kid });
    },
    async headerInjection(kind, extra, url = 'http://127.0.0.1:9/attacker') {
      const other = await context.keys.otherKey(context.defaultAlgorithm);
      const jwk = { ...other.publicJwk };
      const header: Record<string, unknown> = {};
      if (kind === 'jwk') header.jwk = jwk;
      else if (kind === 'x5c') header.x5c = ['MIIBattackerCertificate'];
      else header[kind] = url;
      return signToken(context, claims(extra), { key: other.privateKey, kid: other.kid, header });
    },
    async substitutedClaims(extra) {
      const token = await signToken(context, claims());
      const [header, , signature] = token.split('.');
      return `${header}.${b64url(JSON.stringify(claims(extra)))}.${signature}`;
    },
    async idToken(extra) {
      const iat = now();
      const payload = merge(
        {
          iss: context.issuer,
          sub: context.subject,
          aud: context.clientId,
          azp: context.clientId,
          iat,
          exp: iat + context.tokenLifetimeSeconds,
          auth_time: iat,
          nonce: randomUUID(),
        },
        extra ?? {},
      );
      return signToken(context, payload, { typ: 'JWT' });
    },
  };
}
