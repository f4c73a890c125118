import { type GuardOptions, principalToJSON } from '@restguard/core';
import { restguard } from '@restguard/fastify';
import Fastify from 'fastify';
import { type ConformanceApp, createdNote, tamper, whoami } from './contract.js';

/** The contract's app on Fastify: requirements through route config and through the hook factory. */
export async function buildFastifyApp(options: GuardOptions): Promise<ConformanceApp> {
  const app = Fastify();
  await app.register(restguard, options);
  app.get('/api/notes', { config: { restguard: { scopes: ['read'] } } }, async () => ({ notes: [] }));
  app.post<{ Body: { text?: unknown } }>(
    '/api/notes',
    { onRequest: app.restguard.require(['write']) },
    async (request, reply) =>
      reply.code(201).header('location', '/api/notes/n1').send(createdNote(request.body?.text)),
  );
  app.put('/api/notes', async () => {
    throw Object.assign(new Error('Method Not Allowed'), { statusCode: 405 });
  });
  app.get('/api/me', { onRequest: app.restguard.require([]) }, async (request) =>
    principalToJSON(request.auth!),
  );
  app.get('/api/all', { config: { restguard: { scopes: { all: ['read', 'write'] } } } }, async () => ({
    ok: true,
  }));
  app.get('/api/any', { onRequest: app.restguard.require({ any: ['write', 'admin'] }) }, async () => ({
    ok: true,
  }));
  app.get('/api/tamper', { onRequest: app.restguard.require([]) }, async (request) => tamper(request.auth!));
  app.get('/api/whoami', async (request) => whoami(request.auth));
  await app.ready();
  return { listener: app.routing, guard: app.restguard.guard, close: () => app.close() };
}
