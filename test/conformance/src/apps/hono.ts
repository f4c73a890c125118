import { getRequestListener } from '@hono/node-server';
import { type GuardOptions, principalToJSON } from '@restguard/core';
import { nodeConnectionInfo } from '@restguard/core/node';
import { notFound, onError, type RestguardEnv, requireScopes, restguard } from '@restguard/hono';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { validator } from 'hono/validator';
import { type ConformanceApp, createdNote, tamper, whoami } from './contract.js';

/** The contract's app on Hono, served through @hono/node-server. */
export function buildHonoApp(options: GuardOptions): ConformanceApp {
  const app = new Hono<RestguardEnv>();
  // On Node, client certificates (RFC 8705) come from the socket through core's Node helper.
  const auth = restguard(options, { connectionInfo: nodeConnectionInfo });
  app.use(auth);
  app.get('/api/notes', requireScopes(['read']), (c) => c.json({ notes: [] }));
  app.post(
    '/api/notes',
    requireScopes(['write']),
    validator('json', (value) => value as { text?: unknown }),
    (c) => {
      c.header('location', '/api/notes/n1');
      return c.json(createdNote(c.req.valid('json').text), 201);
    },
  );
  app.put('/api/notes', () => {
    throw new HTTPException(405);
  });
  app.get('/api/me', requireScopes([]), (c) => c.json(principalToJSON(c.get('auth')!)));
  app.get('/api/all', requireScopes({ all: ['read', 'write'] }), (c) => c.json({ ok: true }));
  app.get('/api/any', requireScopes({ any: ['write', 'admin'] }), (c) => c.json({ ok: true }));
  app.get('/api/tamper', requireScopes([]), (c) => c.json(tamper(c.get('auth')!)));
  app.get('/api/whoami', (c) => c.json(whoami(c.get('auth'))));
  app.notFound(notFound());
  app.onError(onError());
  return { listener: getRequestListener(app.fetch), guard: auth.guard, close: () => auth.guard.close() };
}
