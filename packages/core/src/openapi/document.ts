/**
 * OpenAPI 3.1 security from the route-scope registry: `components.securitySchemes` (OpenAPI 3.1
 * §4.8.27: OAuth 2.0 flows from the authorization server's metadata, RFC 8414 §2; the API-key header;
 * DPoP, RFC 9449, as an `http` scheme) and each operation's `security` (§4.8.30). A requirement with
 * `any` becomes one alternative per scope, since OpenAPI ANDs the scopes of one requirement object and
 * ORs the objects.
 */
import type { Guard } from '../guard.js';
import type { ScopeRequirement } from '../scope/evaluate.js';
import { OPENAPI_METHODS, type RouteRegistry } from './registry.js';

/** The authorization-server metadata members the OAuth 2.0 flows come from (RFC 8414 §2). */
export interface AuthorizationServerEndpoints {
  readonly authorization_endpoint?: string;
  readonly token_endpoint?: string;
  readonly device_authorization_endpoint?: string;
}

/** How the security part of the document is built. */
export interface OpenApiSecurityOptions {
  /** Discovery metadata of the authorization server, for the `oauth2` flows. */
  readonly authorizationServer?: AuthorizationServerEndpoints;
  /** Whether access tokens are accepted (the `oauth2` scheme). Default: the guard has `tokens`. */
  readonly tokens?: boolean;
  /** Whether API keys are accepted (`apiKey` header and `bearerApiKey`). Default: the guard has `apiKeys`. */
  readonly apiKeys?: boolean;
  /** Whether DPoP-bound tokens are accepted (RFC 9449, the `dpop` scheme). Default: the guard has `dpop`. */
  readonly dpop?: boolean;
  /** Whether protected operations may answer 429 (a guard with `rateLimit`). Default false. */
  readonly rateLimited?: boolean;
  /** A description per scope, for the OAuth 2.0 flows. Default: the scope's name. */
  readonly scopeDescriptions?: Readonly<Record<string, string>>;
}

/** An OpenAPI document, as plain JSON. */
export type OpenApiDocument = Record<string, unknown>;

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiDocumentOptions extends OpenApiSecurityOptions {
  /** The document to merge into (from `@fastify/swagger`, `@hono/zod-openapi` or written by hand). */
  readonly base?: object;
}

/** The header restguard reads API keys from. */
export const API_KEY_HEADER = 'X-API-Key';

/**
 * The security schemes for what a guard accepts.
 * @example
 * const schemes = openApiSecuritySchemes({ tokens: true, apiKeys: true, authorizationServer: metadata }, ['read']);
 */
export function openApiSecuritySchemes(
  options: OpenApiSecurityOptions,
  scopes: readonly string[],
): Record<string, Record<string, unknown>> {
  const schemes: Record<string, Record<string, unknown>> = {};
  if (options.tokens) {
    const described = Object.fromEntries(
      scopes.map((scope) => [scope, options.scopeDescriptions?.[scope] ?? scope]),
    );
    const server = options.authorizationServer ?? {};
    const flows: Record<string, unknown> = {};
    if (server.authorization_endpoint && server.token_endpoint) {
      flows.authorizationCode = {
        authorizationUrl: server.authorization_endpoint,
        tokenUrl: server.token_endpoint,
        scopes: described,
      };
    }
    if (server.token_endpoint)
      flows.clientCredentials = { tokenUrl: server.token_endpoint, scopes: described };
    schemes.oauth2 = {
      type: 'oauth2',
      description: 'OAuth 2.0 access token: `Authorization: Bearer <token>` (RFC 6750).',
      flows,
    };
    if (options.dpop) {
      schemes.dpop = {
        type: 'http',
        scheme: 'DPoP',
        description:
          'DPoP-bound access token (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` proof header.',
      };
    }
  }
  if (options.apiKeys) {
    schemes.apiKey = {
      type: 'apiKey',
      in: 'header',
      name: API_KEY_HEADER,
      description: 'A restguard API key.',
    };
    schemes.bearerApiKey = {
      type: 'http',
      scheme: 'bearer',
      description: 'A restguard API key as the bearer value.',
    };
  }
  return schemes;
}

/**
 * An operation's `security` for a requirement: one object per scheme and alternative.
 * @example
 * operationSecurity({ all: ['read'], any: ['write', 'admin'] }, ['oauth2']);
 * // [{ oauth2: ['read', 'write'] }, { oauth2: ['read', 'admin'] }]
 */
export function operationSecurity(
  requirement: ScopeRequirement,
  schemeNames: readonly string[],
): Record<string, string[]>[] {
  const { all = [], any = [] } = Array.isArray(requirement)
    ? { all: requirement as readonly string[] }
    : (requirement as { all?: readonly string[]; any?: readonly string[] });
  const alternatives = any.length === 0 ? [[...all]] : any.map((scope) => [...all, scope]);
  return alternatives.flatMap((scopes) => schemeNames.map((name) => ({ [name]: [...scopes] })));
}

const AUTH_RESPONSES: Record<string, string> = {
  '401': 'No valid credential (RFC 6750 challenge, problem+json).',
  '403': 'The credential lacks a required scope (insufficient_scope, problem+json).',
  '429': 'The credential spent its rate limit (Retry-After, RateLimit headers, problem+json).',
  '503': 'Verification temporarily unavailable (Retry-After, problem+json).',
};

/**
 * Builds (or completes) an OpenAPI 3.1 document from a registry: the security schemes, and for every
 * recorded route its operation with the `security` the guard enforces. A route without a requirement
 * gets no `security` (whatever the base said). Operations missing from `base` are added.
 * @example
 * const doc = buildOpenApiDocument(guard.routes, { tokens: true, apiKeys: true, base: { info: { title: 'Notes', version: '1' } } });
 */
export function buildOpenApiDocument(
  registry: RouteRegistry,
  options: OpenApiDocumentOptions = {},
): OpenApiDocument {
  const base = structuredClone(options.base ?? {}) as OpenApiDocument;
  const schemes = openApiSecuritySchemes(options, registry.scopes());
  const schemeNames = Object.keys(schemes);
  const components = (base.components ?? {}) as Record<string, unknown>;
  components.securitySchemes = { ...((components.securitySchemes as object) ?? {}), ...schemes };
  const paths = (base.paths ?? {}) as Record<string, Record<string, unknown>>;
  for (const route of registry.routes()) {
    const method = route.method.toLowerCase();
    if (!(OPENAPI_METHODS as readonly string[]).includes(method)) continue;
    paths[route.path] ??= {};
    const item = paths[route.path]!;
    item[method] ??= {};
    const operation = item[method] as Record<string, unknown>;
    const parameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    if (parameters.length > 0 && operation.parameters === undefined && item.parameters === undefined) {
      operation.parameters = parameters.map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
    }
    const responses = (operation.responses ?? {}) as Record<string, unknown>;
    if (route.requirement === null) {
      delete operation.security;
    } else {
      operation.security = operationSecurity(route.requirement, schemeNames);
      responses['401'] ??= { description: AUTH_RESPONSES['401'] };
      if (requiresScopes(route.requirement)) responses['403'] ??= { description: AUTH_RESPONSES['403'] };
      if (options.rateLimited) responses['429'] ??= { description: AUTH_RESPONSES['429'] };
      responses['503'] ??= { description: AUTH_RESPONSES['503'] };
    }
    if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' };
    operation.responses = responses;
  }
  return {
    ...base,
    openapi: typeof base.openapi === 'string' && base.openapi.startsWith('3.1') ? base.openapi : '3.1.0',
    info: base.info ?? { title: 'API', version: '1.0.0' },
    components,
    paths,
  };
}

function requiresScopes(requirement: ScopeRequirement): boolean {
  if (Array.isArray(requirement)) return requirement.length > 0;
  const { all = [], any = [] } = requirement as { all?: readonly string[]; any?: readonly string[] };
  return all.length + any.length > 0;
}

/**
 * The OpenAPI document of everything a guard's adapter recorded, with the schemes that guard accepts.
 * @example
 * app.get('/openapi.json', (req, res) => res.json(guardOpenApiDocument(auth.guard, { authorizationServer: metadata })));
 */
export function guardOpenApiDocument(guard: Guard, options: OpenApiDocumentOptions = {}): OpenApiDocument {
  return buildOpenApiDocument(guard.routes, {
    tokens: guard.options.tokens !== undefined,
    apiKeys: guard.options.apiKeys !== undefined,
    rateLimited: guard.options.rateLimit !== undefined,
    dpop: guard.options.dpop !== undefined,
    ...options,
  });
}
