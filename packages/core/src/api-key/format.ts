/**
 * The restguard API-key format: `<prefix>_<secret><checksum>`.
 *
 * - `prefix`: lowercase letters, digits and single underscores, starting with a letter, at most 32
 *   characters (`rg_live`, `rg_test`). It makes a leaked key recognisable to secret scanners.
 * - `secret`: 43 base62 characters (`[0-9A-Za-z]`) drawn uniformly from a CSPRNG
 *   (`crypto.getRandomValues`, rejection sampling): 43 × log2(62) ≈ 256.03 bits.
 * - `checksum`: CRC-32 (IEEE 802.3) of the UTF-8 bytes of `<prefix>_<secret>`, written as 6 base62
 *   characters (big-endian, zero-padded). A mistyped or truncated key is refused before any store
 *   lookup. The checksum is not a security control; the secret's entropy is.
 *
 * Base62 has no `_` or `-`, so the last `_` always separates the prefix from the 49-character body.
 * Secret-scanning regex (any prefix): `\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*_[0-9A-Za-z]{49}\b`;
 * for restguard's default prefixes: `\brg_(?:live|test)_[0-9A-Za-z]{49}\b`.
 */
import { ConfigInvalidError } from '../errors.js';

/**
 * The prefix used when none is given.
 * @example
 * generateApiKey().startsWith(`${DEFAULT_API_KEY_PREFIX}_`); // true
 */
export const DEFAULT_API_KEY_PREFIX = 'rg_live';
/** Length of the random part, in base62 characters (≥ 256 bits). */
export const API_KEY_SECRET_LENGTH = 43;
/** Length of the checksum, in base62 characters. */
export const API_KEY_CHECKSUM_LENGTH = 6;
/** How many characters of the secret the display prefix keeps (`rg_live_Ab3x`). */
export const API_KEY_DISPLAY_LENGTH = 4;
/**
 * A valid prefix: lowercase letters, digits, single underscores; starts with a letter (≤ 32 chars,
 * checked separately by {@link isValidApiKeyPrefix}).
 * @example
 * API_KEY_PREFIX_PATTERN.test('rg_live'); // true
 */
export const API_KEY_PREFIX_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/**
 * A regular expression for secret-scanning programs: any restguard key, any prefix (global flag).
 * Confirm a hit offline with {@link parseApiKey} (checksum).
 * @example
 * const leaked = (text.match(API_KEY_SCAN_PATTERN) ?? []).filter((hit) => parseApiKey(hit) !== null);
 */
export const API_KEY_SCAN_PATTERN = /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*_[0-9A-Za-z]{49}\b/g;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY = /^[0-9A-Za-z]{49}$/;
const BODY_LENGTH = API_KEY_SECRET_LENGTH + API_KEY_CHECKSUM_LENGTH;

/** A key split into its parts. */
export interface ParsedApiKey {
  /** `rg_live` */
  readonly prefix: string;
  /** The 43 random base62 characters. */
  readonly secret: string;
  /** The 6-character base62 CRC-32. */
  readonly checksum: string;
  /** Safe to show and store: the prefix plus the first 4 characters of the secret, `rg_live_Ab3x`. */
  readonly displayPrefix: string;
}

/**
 * True for a syntactically valid prefix (see {@link API_KEY_PREFIX_PATTERN}).
 * @example
 * isValidApiKeyPrefix('rg_live'); // true
 * isValidApiKeyPrefix('RG-live'); // false
 */
export function isValidApiKeyPrefix(prefix: string): boolean {
  return prefix.length <= 32 && API_KEY_PREFIX_PATTERN.test(prefix);
}

/**
 * Throws {@link ConfigInvalidError} unless `prefix` is valid.
 * @example
 * assertApiKeyPrefix('rg_live'); // 'rg_live'
 */
export function assertApiKeyPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !isValidApiKeyPrefix(prefix)) {
    throw new ConfigInvalidError(
      'An API-key prefix must be lowercase letters, digits and single underscores, start with a letter and be at most 32 characters.',
    );
  }
  return prefix;
}

let crcTable: Uint32Array | undefined;
function crc32(text: string): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Callers pass validated prefixes and base62, so this is ASCII: a character code is its byte.
    if (code > 0x7f) return crc32Utf8(text);
    crc = crcTable[(crc ^ code) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function crc32Utf8(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) crc = crcTable![(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksumOf(prefix: string, secret: string): string {
  let value = crc32(`${prefix}_${secret}`);
  let out = '';
  for (let i = 0; i < API_KEY_CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62]! + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/**
 * `length` base62 characters, uniformly distributed: random bytes ≥ 248 are discarded so that
 * `byte % 62` has no modulo bias.
 * @example
 * randomBase62(43); // '4Qv0Vb1y…'
 */
export function randomBase62(length: number): string {
  let out = '';
  const bytes = new Uint8Array(Math.ceil(length * 1.25) + 8);
  while (out.length < length) {
    crypto.getRandomValues(bytes);
    for (const byte of bytes) {
      if (byte < 248) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * Generates a new key: `<prefix>_<43 random base62><6 base62 CRC-32>`. Show it once; store only its hash.
 * @example
 * const key = generateApiKey('rg_live'); // 'rg_live_3fQ…' (57 characters)
 */
export function generateApiKey(prefix: string = DEFAULT_API_KEY_PREFIX): string {
  assertApiKeyPrefix(prefix);
  const secret = randomBase62(API_KEY_SECRET_LENGTH);
  return `${prefix}_${secret}${checksumOf(prefix, secret)}`;
}

/**
 * Splits a key into its parts, or returns null when it is not a well-formed restguard key (wrong
 * shape, invalid prefix, or a checksum that does not match). Never touches a store.
 * @example
 * parseApiKey(key)?.displayPrefix; // 'rg_live_3fQa'
 * parseApiKey('rg_live_typo'); // null
 */
export function parseApiKey(value: string): ParsedApiKey | null {
  if (typeof value !== 'string' || value.length > 32 + 1 + BODY_LENGTH) return null;
  const cut = value.lastIndexOf('_');
  if (cut <= 0) return null;
  const prefix = value.slice(0, cut);
  const body = value.slice(cut + 1);
  if (!BODY.test(body) || !isValidApiKeyPrefix(prefix)) return null;
  const secret = body.slice(0, API_KEY_SECRET_LENGTH);
  const checksum = body.slice(API_KEY_SECRET_LENGTH);
  if (checksum !== checksumOf(prefix, secret)) return null;
  return { prefix, secret, checksum, displayPrefix: `${prefix}_${secret.slice(0, API_KEY_DISPLAY_LENGTH)}` };
}

/**
 * True when `value` is a well-formed restguard key with a valid checksum and, when `prefixes` is
 * given, one of those prefixes. This is how a key is told apart from a JWT.
 * @example
 * isApiKeyFormat(key, ['rg_live']); // true
 * isApiKeyFormat('eyJhbGciOi…'); // false
 */
export function isApiKeyFormat(value: string, prefixes?: readonly string[]): boolean {
  const parsed = parseApiKey(value);
  return parsed !== null && (prefixes === undefined || prefixes.includes(parsed.prefix));
}
