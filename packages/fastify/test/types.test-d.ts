import type { Guard, Principal } from '@restguard/core';
import Fastify, { type FastifyRequest, type onRequestHookHandler } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import { type RestguardRouteConfig, restguard } from '../src/index.js';

describe('types', () => {
  it('types request.auth without a cast', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<Principal | null>();
    const app = Fastify();
    app.get('/api/me', async (request) => {
      expectTypeOf(request.auth).toEqualTypeOf<Principal | null>();
      return { subject: request.auth?.subject };
    });
  });

  it('types app.restguard and the route config', async () => {
    const app = Fastify();
    await app.register(restguard, { apiKeys: { store: undefined as never } });
    expectTypeOf(app.restguard.guard).toEqualTypeOf<Guard>();
    expectTypeOf(app.restguard.require(['write'])).toEqualTypeOf<onRequestHookHandler>();
    app.get('/api/notes', { config: { restguard: { scopes: { any: ['read'] } } } }, async () => []);
    expectTypeOf<RestguardRouteConfig['scopes']>().toMatchTypeOf<
      readonly string[] | { readonly all?: readonly string[] } | undefined
    >();
    // (Fastify infers a route's config type from the literal, so a bad `scopes` is caught by the
    // plugin's onRoute check at start-up instead; see fastify.test.ts.)
    expectTypeOf<FastifyRequest['routeOptions']['config']['restguard']>().toEqualTypeOf<
      RestguardRouteConfig | undefined
    >();
  });
});
