import { type GuardOptions, principalToJSON } from '@restguard/core';
import { notFoundHandler, requireScopes, restguard, restguardErrorHandler } from '@restguard/express';
import type express5 from 'express';
import { type ConformanceApp, createdNote, tamper, whoami } from './contract.js';

/** The contract's app on Express; `express` is Express 5 or Express 4 (same API for these routes). */
export function buildExpressApp(express: typeof express5, options: GuardOptions): ConformanceApp {
  const app = express();
  const auth = restguard(options);
  app.use(auth);
  app.use(express.json());
  app.get('/api/notes', requireScopes(['read']), (_req, res) => {
    res.json({ notes: [] });
  });
  app.post('/api/notes', requireScopes(['write']), (req, res) => {
    res.status(201).location('/api/notes/n1').json(createdNote(req.body?.text));
  });
  app.put('/api/notes', (_req, _res, next) =>
    next(Object.assign(new Error('Method Not Allowed'), { status: 405 })),
  );
  app.get('/api/me', requireScopes([]), (req, res) => {
    res.json(principalToJSON(req.auth!));
  });
  app.get('/api/all', requireScopes({ all: ['read', 'write'] }), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/api/any', requireScopes({ any: ['write', 'admin'] }), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/api/tamper', requireScopes([]), (req, res) => {
    res.json(tamper(req.auth!));
  });
  app.get('/api/whoami', (req, res) => {
    res.json(whoami(req.auth));
  });
  app.use(notFoundHandler());
  app.use(restguardErrorHandler());
  return { listener: app, guard: auth.guard, close: () => auth.guard.close() };
}
