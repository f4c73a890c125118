/**
 * How the bench configures restguard: the one place that knows restguard's option shapes, so the
 * in-process rows and the three HTTP servers use exactly the same guard configuration.
 */
import type { AuthRequest, GuardOptions } from '@restguard/core';

/** What a token verifier in the bench is told about the issuer. */
export interface TokenSetup {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  /** Verified-token cache size (smaller than the distinct-token pools, so those rows stay cold). */
  readonly cacheSize: number;
  /** Use the portable Web Crypto signature step instead of the default (node:crypto on Node.js). */
  readonly webCrypto?: boolean;
}

/**
 * The `tokens` part of the guard options for the bench issuer: its JWKS URL (fetched once, then
 * cached by restguard), `http://` allowed because the stand-in issuer is on loopback, and a
 * verified-token cache of `cacheSize` entries. `signatureVerifier` is the Web Crypto step when asked.
 * @example
 * createGuard({ tls: false, tokens: await tokenOptions(setup) });
 */
export async function tokenOptions(setup: TokenSetup): Promise<NonNullable<GuardOptions['tokens']>> {
  const core = setup.webCrypto ? await import('@restguard/core') : undefined;
  return {
    issuers: [{ issuer: setup.issuer, audience: setup.audience, jwksUri: setup.jwksUrl }],
    allowInsecureRequests: true,
    cache: { maxEntries: setup.cacheSize },
    ...(core ? { signatureVerifier: core.webCryptoSignatureVerifier } : {}),
  };
}

/**
 * An `AuthRequest` for `GET /api/notes` carrying one credential, as an adapter would build it.
 * @example
 * await guard.decide(bearerRequest('eyJ…'), ['read']);
 */
export function credentialRequest(header: 'authorization' | 'x-api-key', value: string): AuthRequest {
  const values = [value];
  return {
    method: 'GET',
    url: '/api/notes',
    tls: true,
    remoteAddress: '127.0.0.1',
    headers: (name) => (name === header ? values : []),
  };
}

/** A short reason for a row that could not be built. */
export function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 160);
}
