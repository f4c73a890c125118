/**
 * Fastify 5 servers: bare, floor hook, @fastify/jwt (the peer, given the static RS256 public key:
 * @fastify/jwt has no JWKS client of its own; get-jwks would add one, which only slows it), and the
 * restguard adapter.
 */
import type { Server } from 'node:http';
import fastifyJwt from '@fastify/jwt';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { hasScope } from '../floor.js';
import type { RestguardServerKit } from '../restguard/server-kit.js';
import type { Fixture, Variant } from './fixture.js';
import { createFloorAuth, FLOOR_CHALLENGE } from './floor-auth.js';

const notes = async () => ({ notes: [] });

/**
 * Starts a Fastify server for `variant` on 127.0.0.1 (random port).
 * @example
 * const server = await startFastify('peer', fixture, kit);
 */
export async function startFastify(
  variant: Variant,
  fixture: Fixture,
  kit: RestguardServerKit,
): Promise<Server> {
  const app = Fastify({ logger: false });
  switch (variant) {
    case 'bare':
      app.get('/api/notes', notes);
      break;
    case 'floor': {
      const check = createFloorAuth(fixture);
      const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
        const status = check(req.headers.authorization, req.headers['x-api-key'] as string | undefined);
        if (status !== 200)
          return reply
            .code(status)
            .header('www-authenticate', FLOOR_CHALLENGE)
            .send({ error: 'invalid_token' });
      };
      app.get('/api/notes', { onRequest }, notes);
      break;
    }
    case 'peer': {
      await app.register(fastifyJwt, {
        secret: { public: fixture.publicPem, private: 'unused: verification only' },
        verify: { algorithms: ['RS256'], allowedIss: fixture.issuer, allowedAud: fixture.audience },
      });
      const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
        const payload = await req.jwtVerify<Record<string, unknown>>();
        if (!hasScope(payload, 'read')) return reply.code(403).send({ error: 'insufficient_scope' });
      };
      app.get('/api/notes', { onRequest }, notes);
      break;
    }
    case 'restguard':
      await kit.mountFastify(app, notes);
      break;
    default:
      throw new Error(`fastify has no ${variant} variant`);
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}
