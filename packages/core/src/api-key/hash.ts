/**
 * API-key hashing with a scheme versioned per record (Web Crypto, or `node:crypto` on Node.js):
 *
 * - `sha256`: base64url(SHA-256(key)). Keys carry 256 bits of entropy, so a fast hash is enough
 *   (no password hashing needed) and lookup by hash stays an index probe.
 * - `hmac-sha256:<pepperId>`: base64url(HMAC-SHA256(pepper, key)), with a server-side pepper kept out
 *   of the database, so a leaked table alone cannot even confirm a guessed key.
 *
 * A hasher knows the current scheme (the first pepper, else `sha256`) and the older ones it still
 * accepts (the other peppers, then `sha256`), so a pepper can be introduced or rotated without
 * re-issuing keys: a record found under an older scheme is re-hashed to the current one.
 */
import { ConfigInvalidError } from '../errors.js';
import { type NodeCrypto, nodeCrypto, sha256Base64url } from '../runtime/node-crypto.js';

/** A server-side secret for HMAC-SHA256. Keep it out of the database (env, secret manager). */
export interface ApiKeyPepper {
  /** Short stable id stored with each record's scheme: letters, digits, `.`, `_`, `-` (≤ 64). */
  readonly id: string;
  /** At least 32 bytes: raw bytes, or a string taken as its UTF-8 bytes. */
  readonly secret: Uint8Array | string;
}

/** Options for {@link createApiKeyHasher}. */
export interface ApiKeyHasherOptions {
  /** Peppers, newest first. The first is the current scheme; the others are still accepted. */
  readonly peppers?: readonly ApiKeyPepper[];
}

/** Hashes keys under versioned schemes. Share one between key creation and verification. */
export interface ApiKeyHasher {
  /** The scheme new records (and re-hashed ones) get. */
  readonly currentScheme: string;
  /** Every accepted scheme, current first, then older peppers, then `sha256`. */
  readonly schemes: readonly string[];
  /** base64url hash of `key` under `scheme` (one of {@link schemes}). */
  hash(key: string, scheme?: string): Promise<string>;
  /**
   * Optional: the same hash under the current scheme, synchronously (a runtime with a synchronous
   * hash, such as `node:crypto`). The verifier then answers a cached key without a promise.
   */
  hashSync?(key: string): string;
}

const PEPPER_ID = /^[A-Za-z0-9._-]{1,64}$/;
const encoder = new TextEncoder();

/**
 * base64url without padding (RFC 4648 §5).
 * @example
 * base64url(new Uint8Array([255, 254])); // '__4'
 */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Compares two strings in time that depends only on their lengths (hashes have a fixed length).
 * @example
 * timingSafeEqualString(record.hash, computed);
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Builds a hasher. Without peppers the scheme is `sha256`. On Node.js it hashes with `node:crypto`
 * (synchronously: Web Crypto's `digest`/`sign` wait for a thread-pool hand-off that costs more than the
 * hash); elsewhere with Web Crypto. Both give the same bytes (differential test).
 * @example
 * const hasher = createApiKeyHasher({ peppers: [{ id: '2025-01', secret: process.env.API_KEY_PEPPER! }] });
 * await hasher.hash(key); // hash under 'hmac-sha256:2025-01'
 */
export function createApiKeyHasher(options: ApiKeyHasherOptions = {}): ApiKeyHasher {
  const crypto = nodeCrypto();
  return crypto ? createNodeCryptoApiKeyHasher(crypto, options) : createWebCryptoApiKeyHasher(options);
}

/**
 * The `node:crypto` hasher over a given crypto module: same schemes, validation and output as
 * {@link createWebCryptoApiKeyHasher}.
 * @example
 * const hasher = createNodeCryptoApiKeyHasher(nodeCrypto()!, { peppers });
 */
export function createNodeCryptoApiKeyHasher(
  crypto: NodeCrypto,
  options: ApiKeyHasherOptions = {},
): ApiKeyHasher {
  // The Web Crypto hasher validates the peppers (same errors) and orders the schemes.
  const reference = createWebCryptoApiKeyHasher(options);
  const secrets = new Map<string, Uint8Array>();
  for (const pepper of options.peppers ?? []) {
    const bytes = typeof pepper.secret === 'string' ? encoder.encode(pepper.secret) : pepper.secret;
    secrets.set(`hmac-sha256:${pepper.id}`, new Uint8Array(bytes));
  }
  // Strings go to node:crypto as UTF-8 directly (TextEncoder costs more than the hash in Node 20);
  // lone surrogates become U+FFFD in both, as the differential test checks.
  const hashSync = (key: string, scheme: string): string => {
    if (scheme === 'sha256') return sha256Base64url(crypto, key);
    const secret = secrets.get(scheme);
    if (!secret) throw new ConfigInvalidError('Unknown API-key hash scheme.');
    return crypto.createHmac('sha256', secret).update(key, 'utf8').digest('base64url');
  };
  return {
    currentScheme: reference.currentScheme,
    schemes: reference.schemes,
    hash(key, scheme = reference.currentScheme) {
      try {
        return Promise.resolve(hashSync(key, scheme));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    hashSync: (key) => hashSync(key, reference.currentScheme),
  };
}

/**
 * The portable hasher (Web Crypto), on every runtime. `createApiKeyHasher` picks it off Node.js.
 * @example
 * const hasher = createWebCryptoApiKeyHasher({ peppers });
 */
export function createWebCryptoApiKeyHasher(options: ApiKeyHasherOptions = {}): ApiKeyHasher {
  const peppers = options.peppers ?? [];
  const keys = new Map<string, Promise<CryptoKey>>();
  const secrets = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const pepper of peppers) {
    if (!pepper || typeof pepper.id !== 'string' || !PEPPER_ID.test(pepper.id)) {
      throw new ConfigInvalidError('A pepper id must be 1 to 64 letters, digits, ".", "_" or "-".');
    }
    const scheme = `hmac-sha256:${pepper.id}`;
    if (secrets.has(scheme)) throw new ConfigInvalidError('Pepper ids must be unique.');
    const bytes = typeof pepper.secret === 'string' ? encoder.encode(pepper.secret) : pepper.secret;
    if (!(bytes instanceof Uint8Array) || bytes.length < 32) {
      throw new ConfigInvalidError('A pepper must be at least 32 bytes long.');
    }
    secrets.set(scheme, new Uint8Array(bytes));
  }
  const schemes = [...secrets.keys(), 'sha256'];
  const hmacKey = (scheme: string): Promise<CryptoKey> => {
    let key = keys.get(scheme);
    if (!key) {
      key = crypto.subtle.importKey('raw', secrets.get(scheme)!, { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ]);
      keys.set(scheme, key);
    }
    return key;
  };
  return {
    currentScheme: schemes[0]!,
    schemes,
    async hash(key, scheme = schemes[0]!) {
      const data = encoder.encode(key);
      if (scheme === 'sha256') return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
      if (!secrets.has(scheme)) throw new ConfigInvalidError('Unknown API-key hash scheme.');
      return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(scheme), data)));
    },
  };
}

/**
 * Hashes a key under `sha256` (no pepper), the default scheme.
 * @example
 * const hash = await hashApiKey(key);
 */
export function hashApiKey(key: string): Promise<string> {
  return defaultHasher.hash(key);
}

const defaultHasher = createApiKeyHasher();
