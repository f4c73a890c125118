// Persistent key material of the dev issuer: the signing keys (its JWKS, RFC 7517 §5; key ids are
// RFC 7638 §3 thumbprints) and the cookie keys, kept in one JSON file in the data folder and reused
// on every restart.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * The key material a dev issuer signs and seals with.
 *
 * @example
 * ```ts
 * const keys: DevIssuerKeys = await loadOrCreateKeys(dataDir);
 * ```
 */
export interface DevIssuerKeys {
  /** Private signing keys: one RS256 (RSA 2048) and one ES256 (P-256) JWK, each with `kid`, `alg`, `use`. */
  readonly jwks: { readonly keys: readonly JWK[] };
  /** Secrets that sign oidc-provider's cookies. */
  readonly cookieKeys: readonly string[];
}

/**
 * The file, inside the data folder, that holds the keys.
 *
 * @example
 * ```ts
 * const file = path.join(dataDir, KEYS_FILE_NAME); // delete it to rotate every key
 * ```
 */
export const KEYS_FILE_NAME = 'dev-issuer-keys.json';

const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;

async function generateSigningKey(alg: (typeof SIGNING_ALGORITHMS)[number]): Promise<JWK> {
  // jose's (async, Web Crypto) generateKeyPair: a node:crypto KeyObject from generateKeyPairSync that
  // is exported as JWK can deadlock Node 20 now and then.
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  return { ...jwk, kid, alg, use: 'sig' };
}

function parseKeys(text: string, file: string): DevIssuerKeys {
  const value = JSON.parse(text) as Partial<DevIssuerKeys>;
  const keys = value.jwks?.keys;
  const usable =
    Array.isArray(keys) &&
    SIGNING_ALGORITHMS.every((alg) => keys.some((key) => key.alg === alg && typeof key.d === 'string')) &&
    Array.isArray(value.cookieKeys) &&
    value.cookieKeys.length > 0 &&
    value.cookieKeys.every((key) => typeof key === 'string' && key.length >= 32);
  if (!usable)
    throw new Error(`dev issuer: ${file} does not hold usable keys; delete it to generate new ones`);
  return { jwks: { keys }, cookieKeys: value.cookieKeys as string[] };
}

async function readKeys(file: string): Promise<DevIssuerKeys | undefined> {
  try {
    return parseKeys(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Loads the dev issuer's keys from `dataDir`, generating and saving them on first use. The file is
 * written with mode 0600 and published atomically (first writer wins), so two processes starting on
 * the same folder end up with the same keys.
 *
 * @example
 * ```ts
 * const { jwks } = await loadOrCreateKeys('./data');
 * jwks.keys.map((key) => key.alg); // ['RS256', 'ES256'], the same kids after every restart
 * ```
 */
export async function loadOrCreateKeys(dataDir: string): Promise<DevIssuerKeys> {
  const file = path.join(dataDir, KEYS_FILE_NAME);
  const existing = await readKeys(file);
  if (existing) return existing;

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const created: DevIssuerKeys = {
    jwks: { keys: await Promise.all(SIGNING_ALGORITHMS.map(generateSigningKey)) },
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
    return created;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return parseKeys(await readFile(file, 'utf8'), file);
  } finally {
    await rm(temporary, { force: true });
  }
}
