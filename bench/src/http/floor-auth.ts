/**
 * The HTTP floor: a hand-written middleware body on raw `node:crypto` (see ../floor.ts) plus an
 * HMAC-SHA256 + in-memory lookup for API keys. Framework code only wires it in.
 */
import { createHmac, createPublicKey } from 'node:crypto';
import { createFloorVerifier, hasScope } from '../floor.js';
import type { BenchKey } from '../keys.js';
import type { Fixture } from './fixture.js';

/** 200: go on; 401/403: refuse. */
export type FloorDecision = 200 | 401 | 403;

/**
 * Builds the floor check for one fixture: bearer JWT (RS256) or `X-API-Key`, needing `read`.
 * @example
 * const check = createFloorAuth(fixture);
 * check(req.headers.authorization, req.headers['x-api-key']); // 200 | 401 | 403
 */
export function createFloorAuth(
  fixture: Fixture,
): (authorization?: string, apiKey?: string) => FloorDecision {
  const publicKey = createPublicKey(fixture.publicPem);
  const key = { alg: fixture.alg, kid: fixture.publicJwk.kid!, publicKey } as unknown as BenchKey;
  const verify = createFloorVerifier([key], fixture);
  const pepper = Buffer.from(fixture.pepper, 'base64url');
  const keys = new Map(Object.entries(fixture.floorApiKeys));
  return (authorization, apiKey) => {
    if (apiKey !== undefined) {
      const permissions = keys.get(createHmac('sha256', pepper).update(apiKey).digest('base64url'));
      if (!permissions) return 401;
      return permissions.includes('read') ? 200 : 403;
    }
    const token = authorization?.slice(0, 7).toLowerCase() === 'bearer ' ? authorization.slice(7) : undefined;
    if (!token) return 401;
    const payload = verify(token);
    if (!payload) return 401;
    return hasScope(payload, 'read') ? 200 : 403;
  };
}

/** The challenge the floor sends with a refusal. */
export const FLOOR_CHALLENGE = 'Bearer realm="bench", error="invalid_token"';
