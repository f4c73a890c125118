import type { TestIssuer } from '@restguard/testing';
import {
  createTokenVerifier,
  type TokenOptions,
  type TokenVerifier,
  type TrustedIssuer,
} from '../src/token/index.js';

/** A verifier trusting one test issuer (plain HTTP on loopback, so allowInsecureRequests). */
export function verifierFor(
  issuer: TestIssuer,
  trusted: Partial<TrustedIssuer> = {},
  options: Partial<TokenOptions> = {},
): TokenVerifier {
  return createTokenVerifier({
    issuers: [{ issuer: issuer.url, audience: issuer.audience, ...trusted }],
    fetch: issuer.fetch,
    allowInsecureRequests: issuer.url.startsWith('http:'),
    cache: false,
    ...options,
  });
}

/** The restguard error code a promise rejects with (fails the test on anything else). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_')) return code;
    throw err;
  }
  throw new Error('expected a rejection, got a principal');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
