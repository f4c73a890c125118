/**
 * The descriptive part of the OpenAPI 3.1 document (info, servers, each operation's summary, parameters,
 * body and answers), from the route table. The security part (schemes, each operation's `security`) is not
 * written here: each demo app asks its restguard adapter for the document, which adds what the guard
 * actually enforces on every route (`openApiDocument` / `guardOpenApiDocument` with this as `base`).
 */
import type { OpenApiDocumentOptions } from '@restguard/core';
import type { DemoRoute } from './routes.js';

/** Where the API and its authorization server are. */
export interface OpenApiContext {
  serverUrl: string;
  tokenEndpoint: string | undefined;
  authorizationEndpoint: string | undefined;
  audience: string;
}

/**
 * The options an adapter's OpenAPI helper takes for the demo: the descriptive base document, the
 * authorization server's endpoints for the OAuth 2.0 flows and a description per scope.
 * @example
 * const doc = openApiDocument(app, demoOpenApiOptions(routes, { serverUrl, tokenEndpoint, authorizationEndpoint, audience }));
 */
export function demoOpenApiOptions(
  routes: readonly DemoRoute[],
  context: OpenApiContext,
): OpenApiDocumentOptions {
  const scopes = [...new Set(routes.flatMap((route) => route.scopes ?? []))].sort();
  return {
    base: openApiBase(routes, context),
    authorizationServer: {
      token_endpoint: context.tokenEndpoint,
      authorization_endpoint: context.authorizationEndpoint,
    },
    scopeDescriptions: Object.fromEntries(scopes.map((scope) => [scope, `The ${scope} permission on notes`])),
  };
}

/**
 * The OpenAPI document without its security part.
 * @example
 * const base = openApiBase(createApiRoutes(), { serverUrl, tokenEndpoint, authorizationEndpoint, audience });
 */
export function openApiBase(routes: readonly DemoRoute[], context: OpenApiContext): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([code, description]) => [code, { description }]),
      ),
    };
    const parameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.requestBody) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: route.requestBody } },
      };
    }
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'restguard notes API',
      version: '1.0.0',
      description: `Access tokens for the audience ${context.audience}, or restguard API keys.`,
    },
    servers: [{ url: context.serverUrl }],
    paths,
  };
}
