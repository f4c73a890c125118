/**
 * The notes API on Express: the demo kit's routes mapped onto Express with `@restguard/express`.
 * Only framework wiring lives here; start-up, routes and the OpenAPI document come from the kit.
 */
import { colonPath, type DemoFramework, type DemoKit } from '@restguard/demo-kit';
import {
  notFoundHandler,
  openApiDocument,
  requireScopes,
  restguard,
  restguardErrorHandler,
} from '@restguard/express';
import express, { type RequestHandler } from 'express';

/** Builds the Express app for a started kit. */
export async function createListener(kit: DemoKit): Promise<express.Express> {
  const app = express();
  app.disable('x-powered-by');
  app.use(restguard(kit.guard));
  app.use(express.json({ limit: '16kb' }));
  for (const route of kit.routes) {
    const guard: RequestHandler[] = route.scopes === null ? [] : [requireScopes(route.scopes)];
    const handle: RequestHandler = async (req, res, next) => {
      try {
        const answer = await route.handle({
          principal: req.auth ?? null,
          params: req.params as Record<string, string>,
          body: req.body,
          contentType: req.headers['content-type']?.split(';')[0]?.trim().toLowerCase(),
        });
        res.status(answer.status).set(answer.headers).end(answer.body);
      } catch (err) {
        next(err);
      }
    };
    const method = route.method.toLowerCase() as 'get' | 'post' | 'delete';
    app[method](colonPath(route.path), ...guard, handle);
  }
  kit.publishOpenApi(openApiDocument(app, kit.openApi));
  app.use(notFoundHandler());
  app.use(restguardErrorHandler());
  return app;
}

/** The Express demo, for `runDemo` / `startDemo`. */
export const expressDemo = (appDir: string): DemoFramework => ({
  name: 'express',
  defaultPort: 8443,
  appDir,
  createListener,
});
