import type { Guard, Principal } from '@restguard/core';
import { Hono } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import { type RestguardEnv, type RestguardVariables, requireScopes, restguard } from '../src/index.js';

describe('types', () => {
  it("types c.get('auth') without a cast, on an app typed with RestguardEnv", () => {
    const app = new Hono<RestguardEnv>();
    app.get('/api/me', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<Principal | null>();
      return c.json({ subject: c.get('auth')?.subject ?? null });
    });
    expectTypeOf<RestguardVariables['auth']>().toEqualTypeOf<Principal | null>();
  });

  it("types c.get('auth') through the middleware on an untyped app", () => {
    const app = new Hono();
    const auth = restguard({ apiKeys: { store: undefined as never } });
    expectTypeOf(auth.guard).toEqualTypeOf<Guard>();
    app.get('/api/notes', auth, requireScopes(['read']), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<Principal | null>();
      return c.json([]);
    });
  });
});
