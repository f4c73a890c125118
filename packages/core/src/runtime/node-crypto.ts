/**
 * Runtime detection for the `node:crypto` steps, without importing a Node module: the main entry of
 * `@restguard/core` must load on Web-standard runtimes (Workers, Deno, Bun, Vercel Edge), so
 * `node:crypto` is reached through `process.getBuiltinModule` (Node ≥ 20.16 / 22.3) and only on
 * Node.js itself. Elsewhere (or when it is missing) the Web Crypto steps are used.
 *
 * Why: Web Crypto's `verify`, `digest` and `sign` are asynchronous in Node and run on libuv's thread
 * pool; for a 2 KiB RSA verification or a SHA-256 of a token the hand-off costs more than the work.
 * The `node:crypto` steps give the same answers synchronously (differential tests against jose and
 * Web Crypto keep them so). Pass `signatureVerifier: webCryptoSignatureVerifier` (tokens) or
 * `createWebCryptoApiKeyHasher` (API keys) to keep Web Crypto on Node.
 */
import type * as NodeCryptoModule from 'node:crypto';

/** The parts of `node:crypto` the fast steps use. */
export type NodeCrypto = Pick<
  typeof NodeCryptoModule,
  'KeyObject' | 'constants' | 'createHash' | 'createHmac' | 'verify'
> & {
  /** One-shot hash (Node ≥ 20.12); `createHash` otherwise. */
  readonly hash?: (algorithm: string, data: string | Uint8Array, encoding: 'base64url') => string;
};

/**
 * base64url(SHA-256(UTF-8 of `text`)) with `node:crypto`: the one-shot `hash` where the runtime has it.
 * @example
 * sha256Base64url(nodeCrypto()!, token); // the verified-token cache key
 */
export function sha256Base64url(crypto: NodeCrypto, text: string): string {
  return crypto.hash
    ? crypto.hash('sha256', text, 'base64url')
    : crypto.createHash('sha256').update(text, 'utf8').digest('base64url');
}

interface NodeProcess {
  readonly release?: { readonly name?: string };
  readonly getBuiltinModule?: (id: string) => unknown;
}

let detected: NodeCrypto | null | undefined;

/**
 * `node:crypto` when running on Node.js, else null. Decided once per process.
 * @example
 * const crypto = nodeCrypto(); // null on Workers, Deno, Bun
 */
export function nodeCrypto(): NodeCrypto | null {
  if (detected !== undefined) return detected;
  detected = null;
  const global = globalThis as { process?: NodeProcess; Bun?: unknown; Deno?: unknown };
  const proc = global.process;
  if (global.Bun !== undefined || global.Deno !== undefined) return detected;
  if (proc?.release?.name !== 'node' || typeof proc.getBuiltinModule !== 'function') return detected;
  try {
    const crypto = proc.getBuiltinModule('node:crypto') as NodeCrypto | undefined;
    if (
      typeof crypto?.verify === 'function' &&
      typeof crypto.createHash === 'function' &&
      typeof crypto.createHmac === 'function' &&
      typeof crypto.KeyObject?.from === 'function'
    ) {
      detected = crypto;
    }
  } catch {
    // not Node after all: Web Crypto it is
  }
  return detected;
}
