/**
 * Express 5 servers: bare, floor middleware, express-oauth2-jwt-bearer (the peer; JWKS fetched once
 * from the orchestrator and cached by the library), and the restguard adapter.
 */
import type { Server } from 'node:http';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import type { RestguardServerKit } from '../restguard/server-kit.js';
import type { Fixture, Variant } from './fixture.js';
import { createFloorAuth, FLOOR_CHALLENGE } from './floor-auth.js';

const notes: RequestHandler = (_req, res) => {
  res.json({ notes: [] });
};

const peerErrors: ErrorRequestHandler = (err, _req, res, _next) => {
  res
    .status(err.status ?? 500)
    .set(err.headers ?? {})
    .json({ error: err.code ?? 'error' });
};

/**
 * Starts an Express server for `variant` on 127.0.0.1 (random port).
 * @example
 * const server = await startExpress('peer', fixture, kit);
 */
export async function startExpress(
  variant: Variant,
  fixture: Fixture,
  kit: RestguardServerKit,
): Promise<Server> {
  const app = express();
  switch (variant) {
    case 'bare':
      app.get('/api/notes', notes);
      break;
    case 'floor': {
      const check = createFloorAuth(fixture);
      const floor: RequestHandler = (req, res, next) => {
        const status = check(req.headers.authorization, req.headers['x-api-key'] as string | undefined);
        if (status === 200) return next();
        res.status(status).set('www-authenticate', FLOOR_CHALLENGE).json({ error: 'invalid_token' });
      };
      app.get('/api/notes', floor, notes);
      break;
    }
    case 'peer':
      app.get(
        '/api/notes',
        auth({
          issuer: fixture.issuer,
          audience: fixture.audience,
          jwksUri: fixture.jwksUrl,
          tokenSigningAlg: 'RS256',
        }),
        requiredScopes('read'),
        notes,
      );
      app.use(peerErrors);
      break;
    case 'restguard':
      await kit.mountExpress(app, notes);
      break;
    default:
      throw new Error(`express has no ${variant} variant`);
  }
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}
