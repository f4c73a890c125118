/**
 * The OpenAPI 3.1 document, generated from the route table: each operation's `security` lists the
 * scopes its route enforces, under both schemes (OAuth 2.0 and API key), so the document cannot drift
 * from what the guard checks.
 */
import type { DemoRoute } from './routes.js';

/** Where the authorization server's endpoints are, for the oauth2 security scheme. */
export interface OpenApiContext {
  serverUrl: string;
  tokenEndpoint: string | undefined;
  authorizationEndpoint: string | undefined;
  audience: string;
}

/**
 * Builds the OpenAPI document for the given routes.
 * @example
 * const doc = buildOpenApi(createApiRoutes(), { serverUrl, tokenEndpoint, authorizationEndpoint, audience });
 */
export function buildOpenApi(routes: readonly DemoRoute[], context: OpenApiContext): Record<string, unknown> {
  const scopes = [...new Set(routes.flatMap((route) => route.scopes ?? []))].sort();
  const scopeDocs = Object.fromEntries(scopes.map((scope) => [scope, `The ${scope} permission on notes`]));
  const flows: Record<string, unknown> = {};
  if (context.tokenEndpoint) flows.clientCredentials = { tokenUrl: context.tokenEndpoint, scopes: scopeDocs };
  if (context.tokenEndpoint && context.authorizationEndpoint) {
    flows.authorizationCode = {
      authorizationUrl: context.authorizationEndpoint,
      tokenUrl: context.tokenEndpoint,
      scopes: scopeDocs,
    };
  }
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
    if (route.scopes === null) {
      operation.security = [];
    } else {
      operation.security = [
        { oauth2: [...route.scopes] },
        { apiKey: [...route.scopes] },
        { bearerApiKey: [...route.scopes] },
      ];
      const responses = operation.responses as Record<string, unknown>;
      responses['401'] = { description: 'Missing or invalid credential (RFC 6750 challenge, problem+json)' };
      if (route.scopes.length > 0) responses['403'] = { description: 'Insufficient scope' };
      responses['503'] = { description: 'Verification temporarily unavailable (Retry-After)' };
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
    components: {
      securitySchemes: {
        oauth2: { type: 'oauth2', description: 'RFC 9068 JWT access tokens', flows },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A restguard API key' },
        bearerApiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A restguard API key as the bearer value',
        },
      },
    },
    paths,
  };
}
