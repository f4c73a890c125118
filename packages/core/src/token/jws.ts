/**
 * Parsing a JWS Compact Serialization (RFC 7515 §7.1, §5.2 steps 1–7) without trusting anything:
 * three base64url parts, a protected header and a payload that are JSON objects, a string `alg`,
 * an optional string `kid`, and `crit` (§4.1.11) listing only understood, present parameters.
 */
import { base64url, type JWTHeaderParameters } from 'jose';
import { invalid } from './claims.js';

/** A parsed, not yet verified, compact JWS. */
export interface ParsedJws {
  readonly header: JWTHeaderParameters & Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** ASCII bytes of `header.payload`. */
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
/** Header parameters defined by RFC 7515 / 7519: they may not appear in `crit` (§4.1.11). */
const REGISTERED = new Set([
  'alg',
  'jku',
  'jwk',
  'kid',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'typ',
  'cty',
  'crit',
]);

/**
 * True when a credential has the shape of a compact JWS (three base64url parts).
 * @example
 * looksLikeJws('eyJhbGciOi….eyJzdWIiOi….c2ln'); // true
 */
export function looksLikeJws(token: string): boolean {
  return COMPACT.test(token);
}

/**
 * Decodes base64url, refusing non-canonical encodings (stray padding bits, which would let one token
 * be rewritten into many distinct strings with the same meaning).
 */
function decodeCanonical(part: string): Uint8Array {
  const bytes = base64url.decode(part);
  if (base64url.encode(bytes) !== part) throw invalid('malformed');
  return bytes;
}

function decodeObject(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(decodeCanonical(part)));
  } catch {
    throw invalid('malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('malformed');
  return value as Record<string, unknown>;
}

/**
 * Parses a compact JWS, refusing anything malformed with a fixed `invalid_token` description.
 * @example
 * const { header, payload } = parseJws(token, []);
 */
export function parseJws(token: string, criticalHeaders: readonly string[]): ParsedJws {
  if (!looksLikeJws(token)) throw invalid('malformed');
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = decodeObject(h);
  const payload = decodeObject(p);
  if (typeof header.alg !== 'string') throw invalid('malformed');
  if (header.kid !== undefined && typeof header.kid !== 'string') throw invalid('malformed');
  if (header.b64 !== undefined && header.b64 !== true) throw invalid('critical');
  if (header.crit !== undefined) {
    const crit = header.crit;
    if (!Array.isArray(crit) || crit.length === 0) throw invalid('critical');
    for (const name of crit) {
      if (typeof name !== 'string' || REGISTERED.has(name) || !criticalHeaders.includes(name))
        throw invalid('critical');
      if (header[name] === undefined) throw invalid('critical');
    }
  }
  let signature: Uint8Array;
  try {
    signature = decodeCanonical(s);
  } catch {
    throw invalid('malformed');
  }
  if (signature.length === 0) throw invalid('signature');
  return {
    header: header as ParsedJws['header'],
    payload,
    signingInput: new TextEncoder().encode(`${h}.${p}`),
    signature,
  };
}
