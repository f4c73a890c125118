/**
 * The notes API on Hono (served by @hono/node-server's request listener): the demo kit's routes
 * mapped onto Hono with `@restguard/hono`. Only framework wiring lives here.
 */
import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { colonPath, type DemoFramework, type DemoKit } from '@restguard/demo-kit';
import {
  notFound,
  onError,
  openApiDocument,
  type RestguardEnv,
  requireScopes,
  restguard,
} from '@restguard/hono';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Builds the Hono app for a started kit and returns its Node request listener. */
export async function createListener(kit: DemoKit): Promise<RequestListener> {
  const app = new Hono<RestguardEnv>();
  app.use(restguard(kit.guard));
  for (const route of kit.routes) {
    const path = colonPath(route.path);
    if (route.scopes !== null) app.on(route.method, path, requireScopes(route.scopes));
    app.on(route.method, path, async (context) => {
      const contentType = context.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
      const body =
        contentType === 'application/json' ? await context.req.json().catch(() => undefined) : undefined;
      const answer = await route.handle({
        principal: context.get('auth'),
        params: context.req.param(),
        body,
        contentType,
      });
      const status = answer.status as ContentfulStatusCode;
      return answer.status === 204
        ? context.body(null, 204, answer.headers)
        : context.body(answer.body, status, answer.headers);
    });
  }
  kit.publishOpenApi(openApiDocument(app, kit.openApi));
  app.notFound(notFound());
  app.onError(onError());
  return getRequestListener(app.fetch) as RequestListener;
}

/** The Hono demo, for `runDemo` / `startDemo`. */
export const honoDemo = (appDir: string): DemoFramework => ({
  name: 'hono',
  defaultPort: 8643,
  appDir,
  createListener,
});
