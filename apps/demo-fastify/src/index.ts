/**
 * The notes API on Fastify: the demo kit's routes mapped onto Fastify with `@restguard/fastify`
 * (route-level scopes through `config: { restguard: { scopes } }`). Only framework wiring lives here.
 */
import type { RequestListener } from 'node:http';
import { guardOpenApiDocument } from '@restguard/core';
import { colonPath, type DemoFramework, type DemoKit } from '@restguard/demo-kit';
import { restguard } from '@restguard/fastify';
import Fastify from 'fastify';

/** Builds the Fastify app for a started kit and returns its Node request listener. */
export async function createListener(kit: DemoKit): Promise<RequestListener> {
  const app = Fastify({ bodyLimit: 16 * 1024 });
  await app.register(restguard, { guard: kit.guard });
  for (const route of kit.routes) {
    app.route({
      method: route.method,
      url: colonPath(route.path),
      config: route.scopes === null ? {} : { restguard: { scopes: route.scopes } },
      handler: async (request, reply) => {
        const answer = await route.handle({
          principal: request.auth,
          params: request.params as Record<string, string>,
          body: request.body,
          contentType: request.headers['content-type']?.split(';')[0]?.trim().toLowerCase(),
        });
        reply.code(answer.status).headers(answer.headers);
        return answer.body === '' ? reply.send() : reply.send(Buffer.from(answer.body));
      },
    });
  }
  await app.ready();
  // The plugin recorded every route into the guard's registry as it was added.
  kit.publishOpenApi(guardOpenApiDocument(kit.guard, kit.openApi));
  return (req, res) => app.routing(req, res);
}

/** The Fastify demo, for `runDemo` / `startDemo`. */
export const fastifyDemo = (appDir: string): DemoFramework => ({
  name: 'fastify',
  defaultPort: 8543,
  appDir,
  createListener,
});
