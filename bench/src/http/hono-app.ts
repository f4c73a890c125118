/**
 * Hono 4 servers on @hono/node-server: bare, floor middleware, hono/jwk (the peer, with the static
 * public JWK; `peer-jwks-uri` gives it the JWKS URL instead, which it fetches on every request), and
 * the restguard adapter.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { jwk } from 'hono/jwk';
import { hasScope } from '../floor.js';
import type { RestguardServerKit } from '../restguard/server-kit.js';
import type { Fixture, Variant } from './fixture.js';
import { createFloorAuth, FLOOR_CHALLENGE } from './floor-auth.js';

/**
 * Starts a Hono server for `variant` on 127.0.0.1 (random port).
 * @example
 * const server = await startHono('peer', fixture, kit);
 */
export async function startHono(
  variant: Variant,
  fixture: Fixture,
  kit: RestguardServerKit,
): Promise<Server> {
  const app = new Hono();
  const notes = (c: { json: (v: unknown) => Response }) => c.json({ notes: [] });
  const verification = { iss: fixture.issuer, aud: fixture.audience, typ: 'at+jwt' };
  const needRead: MiddlewareHandler = async (c, next) => {
    if (!hasScope(c.get('jwtPayload') as Record<string, unknown>, 'read'))
      return c.json({ error: 'insufficient_scope' }, 403);
    await next();
  };
  switch (variant) {
    case 'bare':
      app.get('/api/notes', notes);
      break;
    case 'floor': {
      const check = createFloorAuth(fixture);
      app.get(
        '/api/notes',
        async (c, next) => {
          const status = check(c.req.header('authorization'), c.req.header('x-api-key'));
          if (status !== 200) {
            return c.json({ error: 'invalid_token' }, status, { 'www-authenticate': FLOOR_CHALLENGE });
          }
          await next();
        },
        notes,
      );
      break;
    }
    case 'peer':
      app.get(
        '/api/notes',
        jwk({ keys: [fixture.publicJwk as never], alg: ['RS256'], verification }),
        needRead,
        notes,
      );
      break;
    case 'peer-jwks-uri':
      app.get(
        '/api/notes',
        jwk({ jwks_uri: fixture.jwksUrl, alg: ['RS256'], verification }),
        needRead,
        notes,
      );
      break;
    case 'restguard':
      await kit.mountHono(app, notes);
      break;
  }
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(server as Server),
    );
  });
}
