import type { Guard, Principal } from '@restguard/core';
import express, { type Request, type RequestHandler } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import { type RestguardHandler, requireScopes, restguard } from '../src/index.js';

describe('types', () => {
  it('types req.auth without a cast', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<Principal | null | undefined>();
    const app = express();
    app.get('/api/me', requireScopes(['read']), (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<Principal | null | undefined>();
      expectTypeOf(req.auth?.scopes).toEqualTypeOf<ReadonlySet<string> | undefined>();
      res.json({ subject: req.auth?.subject });
    });
  });

  it('returns Express handlers that carry their guard', () => {
    expectTypeOf(restguard).returns.toEqualTypeOf<RestguardHandler>();
    expectTypeOf<RestguardHandler>().toMatchTypeOf<RequestHandler>();
    expectTypeOf<RestguardHandler['guard']>().toEqualTypeOf<Guard>();
    expectTypeOf(requireScopes)
      .parameter(0)
      .toEqualTypeOf<
        readonly string[] | { readonly all?: readonly string[]; readonly any?: readonly string[] }
      >();
  });
});
