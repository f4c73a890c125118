/**
 * What the orchestrator hands to each server child: issuer, audience, public keys, the JWKS URL and
 * the API-key material, as a JSON file whose path is in `RESTGUARD_BENCH_FIXTURE`.
 */
import { readFileSync } from 'node:fs';
import type { PublicJwk } from '../keys.js';

/** The frameworks under test. */
export const FRAMEWORKS = ['express', 'fastify', 'hono'] as const;
/** One of {@link FRAMEWORKS}. */
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * Server variants. `bare`: no auth at all. `floor`: raw `node:crypto` verify middleware. `peer`: the
 * framework's usual JWT middleware. `peer-jwks-uri`: hono/jwk given the JWKS URL instead of keys.
 * `restguard`: the restguard adapter with its defaults (on Node.js: the node:crypto signature step and
 * API-key hasher; the in-process rows also time the portable Web Crypto ones).
 */
export type Variant = 'bare' | 'floor' | 'peer' | 'peer-jwks-uri' | 'restguard';

/** The shared fixture. */
export interface Fixture {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly alg: 'RS256';
  readonly publicPem: string;
  readonly publicJwk: PublicJwk;
  /** Floor API keys: HMAC-SHA256 (base64url) → permissions, under `pepper`. */
  readonly floorApiKeys: Readonly<Record<string, string[]>>;
  /** base64url pepper (32 bytes) for the floor's HMAC and restguard's `hmac-sha256:bench` scheme. */
  readonly pepper: string;
  /** Verified-token / API-key cache size for restguard (smaller than the distinct pools). */
  readonly cacheSize: number;
  /** restguard records for the memory store (dates as ISO strings), inserted by each child. */
  readonly memoryRecords: readonly Record<string, unknown>[];
  /** Where restguard's persistent stores live (null: not set up, the rows carry a note). */
  readonly sqlitePath: string | null;
  readonly postgresUrl: string | null;
  /** This run's own PostgreSQL schema (dropped at the end). */
  readonly postgresSchema: string;
}

/**
 * Reads the fixture named by `RESTGUARD_BENCH_FIXTURE`.
 * @example
 * const fixture = readFixture();
 */
export function readFixture(path = process.env.RESTGUARD_BENCH_FIXTURE): Fixture {
  if (!path) throw new Error('RESTGUARD_BENCH_FIXTURE is not set');
  return JSON.parse(readFileSync(path, 'utf8')) as Fixture;
}
