/**
 * Parsing a JWS Compact Serialization (RFC 7515 §7.1, §5.2 steps 1–7) without trusting anything:
 * three base64url parts, a protected header and a payload that are JSON objects, a string `alg`,
 * an optional string `kid`, and `crit` (§4.1.11) listing only understood, present parameters.
 */
import type { JWTHeaderParameters } from 'jose';
import { invalid } from './claims.js';
import { BoundedMemo, deepFreeze } from './freeze.js';

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

/** base64url alphabet (RFC 4648 §5) → 6-bit value; -1 elsewhere. */
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  SEXTET['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;
}
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const ascii = new TextEncoder();

function sextet(part: string, at: number): number {
  const code = part.charCodeAt(at);
  return code < 128 ? SEXTET[code]! : -1;
}

/**
 * Decodes unpadded base64url in plain JavaScript, refusing anything outside the alphabet and
 * non-canonical encodings (stray bits in the last character, which would let one token be rewritten
 * into many distinct strings with the same meaning). Used where the platform has no native decoder.
 */
export function decodeCanonicalPortable(part: string): Uint8Array {
  const length = part.length;
  const tail = length & 3;
  if (tail === 1) throw invalid('malformed');
  const out = new Uint8Array((length >> 2) * 3 + (tail === 0 ? 0 : tail - 1));
  let written = 0;
  let i = 0;
  const whole = length - tail;
  for (; i < whole; i += 4) {
    const first = sextet(part, i);
    const second = sextet(part, i + 1);
    const third = sextet(part, i + 2);
    const fourth = sextet(part, i + 3);
    if ((first | second | third | fourth) < 0) throw invalid('malformed');
    const bits = (first << 18) | (second << 12) | (third << 6) | fourth;
    out[written++] = bits >> 16;
    out[written++] = (bits >> 8) & 255;
    out[written++] = bits & 255;
  }
  if (tail === 2) {
    const first = sextet(part, i);
    const second = sextet(part, i + 1);
    if ((first | second) < 0 || (second & 15) !== 0) throw invalid('malformed');
    out[written] = (first << 2) | (second >> 4);
  } else if (tail === 3) {
    const first = sextet(part, i);
    const second = sextet(part, i + 1);
    const third = sextet(part, i + 2);
    if ((first | second | third) < 0 || (third & 3) !== 0) throw invalid('malformed');
    const bits = (first << 12) | (second << 6) | third;
    out[written++] = bits >> 10;
    out[written] = (bits >> 2) & 255;
  }
  return out;
}

/**
 * Node's (and Bun's) `Buffer`, when the runtime has one: its base64url decoder is ten times the plain
 * loop, and its latin1 encoder ten times `TextEncoder` (Node 20) for the ASCII signing input.
 */
type NativeBuffer = { from(text: string, encoding: 'base64url' | 'latin1'): Uint8Array<ArrayBuffer> };
const nativeBuffer = (globalThis as { Buffer?: NativeBuffer }).Buffer;

/**
 * The same answers as {@link decodeCanonicalPortable}, through the native decoder when there is one:
 * the alphabet and the last character's unused bits are checked here, since the native decoder is
 * lenient about both.
 */
export function decodeCanonical(part: string, alphabetChecked = false): Uint8Array {
  if (!nativeBuffer) return decodeCanonicalPortable(part);
  const tail = part.length & 3;
  if (tail === 1 || (!alphabetChecked && !BASE64URL.test(part))) throw invalid('malformed');
  if (tail !== 0) {
    const last = sextet(part, part.length - 1);
    if ((last & (tail === 2 ? 15 : 3)) !== 0) throw invalid('malformed');
  }
  return nativeBuffer.from(part, 'base64url'); // a Uint8Array (subclass); no copy, no view
}

/** Bytes of a string known to be ASCII (base64url parts and dots). */
function asciiBytes(text: string): Uint8Array {
  return nativeBuffer ? nativeBuffer.from(text, 'latin1') : ascii.encode(text);
}

function decodeObject(part: string, alphabetChecked: boolean): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(decodeCanonical(part, alphabetChecked)));
  } catch {
    throw invalid('malformed');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('malformed');
  return value as Record<string, unknown>;
}

/**
 * Decoded protected headers by their encoded form. An issuer signs every token with the same few
 * headers (`alg`, `typ`, `kid`), so most tokens skip this decode. Entries are deep-frozen (shared
 * between tokens); the map is emptied when full, so odd headers cost only speed, never memory.
 */
const headers = new BoundedMemo<Record<string, unknown>>(64);

function decodeHeader(part: string): Record<string, unknown> {
  return headers.get(part) ?? headers.set(part, deepFreeze(decodeObject(part, true)));
}

/**
 * Parses a compact JWS, refusing anything malformed with a fixed `invalid_token` description.
 * @example
 * const { header, payload } = parseJws(token, []);
 */
export function parseJws(token: string, criticalHeaders: readonly string[]): ParsedJws {
  if (!looksLikeJws(token)) throw invalid('malformed');
  return parseCompactJws(token, criticalHeaders);
}

/**
 * {@link parseJws} for a token that already passed {@link looksLikeJws} (three base64url parts).
 * @example
 * if (looksLikeJws(token)) parseCompactJws(token, []);
 */
export function parseCompactJws(token: string, criticalHeaders: readonly string[]): ParsedJws {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  const header = decodeHeader(token.slice(0, first));
  const payload = decodeObject(token.slice(first + 1, last), true);
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
    signature = decodeCanonical(token.slice(last + 1), true);
  } catch {
    throw invalid('malformed');
  }
  if (signature.length === 0) throw invalid('signature');
  return {
    header: header as ParsedJws['header'],
    payload,
    signingInput: asciiBytes(token.slice(0, last)), // ASCII: looksLikeJws holds
    signature,
  };
}
