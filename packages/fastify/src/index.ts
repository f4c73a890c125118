/**
 * @restguard/fastify: the Fastify 5 plugin. It only translates: a Fastify request becomes core's
 * `AuthRequest`, the guard decides in an `onRequest` hook, and its answer goes out through the reply
 * verbatim. No auth decision, parsing or error format lives here.
 *
 * Registered through fastify-plugin, so its hooks, decorators and handlers apply to the scope that
 * registers it and that scope's children, never to siblings.
 */
import {
  authenticate,
  checkScopeRequirement,
  type Guard,
  type GuardOptions,
  guardOpenApiDocument,
  type HttpAnswer,
  isGuard,
  markRequirement,
  type OpenApiDocument,
  type OpenApiDocumentOptions,
  requirementOf,
  resolveGuard,
  routeRequirement,
  type ScopeRequirement,
  serverErrorAnswerer,
  statusProblem,
} from '@restguard/core';
import { type ConnectionInfoReader, nodeAuthRequest } from '@restguard/core/node';
import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  onRouteHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import type { RestguardDecorator } from './types.js';

export type { RestguardDecorator, RestguardRouteConfig } from './types.js';

/**
 * What the plugin adds to core's options.
 * @example
 * await app.register(restguard, { ...guardOptions, errorHandlers: false });
 */
export interface RestguardFastifyOptions {
  /**
   * Install problem+json handlers for everything else in this scope: `setErrorHandler` (Fastify's
   * own 400/413/415, JSON parse and validation errors, thrown errors) and `setNotFoundHandler` (404).
   * Default true. Set false when the app installs its own (Fastify allows one per scope).
   */
  readonly errorHandlers?: boolean;
  /**
   * How connection facts are read from `request.raw.socket`. Default `nodeConnectionInfo` (a client
   * certificate only when the server verified it). For RFC 8705 §2.2 self-signed certificate binding,
   * pass `(socket) => nodeConnectionInfo(socket, { allowUnverifiedCertificates: true })`.
   */
  readonly connectionInfo?: ConnectionInfoReader;
}

export type { ConnectionInfoReader } from '@restguard/core/node';

/**
 * Core's guard options, or `{ guard }` to share a guard built with `createGuard`.
 * @example
 * const guard = createGuard(guardOptions);
 * await app.register(restguard, { guard }); // closing `guard` stays with the app
 */
export type RestguardPluginOptions = (GuardOptions | { readonly guard: Guard }) & RestguardFastifyOptions;

/**
 * Writes an answer verbatim. The body goes as bytes (Fastify would append `; charset=utf-8` to the
 * content type of a string) or not at all (a Buffer, even empty, would get `application/octet-stream`).
 */
function send(reply: FastifyReply, answer: HttpAnswer): FastifyReply {
  reply.code(answer.status).headers(answer.headers);
  return answer.body === '' ? reply.send() : reply.send(Buffer.from(answer.body));
}

/** `app.restguard`: the guard and the factory of route-level scope hooks. */
function decoratorFor(guard: Guard): RestguardDecorator {
  return {
    guard,
    require(requirement: ScopeRequirement): onRequestHookHandler {
      const checked = checkScopeRequirement(requirement);
      const hook: onRequestHookHandler = async (request, reply) => {
        const answer = guard.enforce(request.auth, checked, () => nodeAuthRequest(request.raw, request.url));
        if (answer) return send(reply, answer);
      };
      return markRequirement(hook, checked);
    },
  };
}

/**
 * A route's `config.restguard.scopes` becomes its own onRequest hook, after the plugin's: checked now
 * (start-up), and no per-request `request.routeOptions` (a getter that builds an object each time).
 * Every route of the scope is recorded into `guard.routes` with what it enforces, for the OpenAPI
 * document (HEAD routes, which Fastify adds for each GET, are left out).
 */
function recordRoute(
  guard: Guard,
  decorator: RestguardDecorator,
  route: Parameters<onRouteHookHandler>[0],
): void {
  const scopes = (route.config as { restguard?: { scopes?: unknown } } | undefined)?.restguard?.scopes;
  const own = route.onRequest;
  const hooks = own === undefined ? [] : Array.isArray(own) ? own : [own];
  let requirement = hooks.map(requirementOf).find((found) => found !== undefined);
  if (scopes !== undefined) {
    const enforce = decorator.require(scopes as ScopeRequirement);
    requirement = requirementOf(enforce);
    route.onRequest = [...hooks, enforce];
  }
  for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
    if (method !== 'HEAD') guard.routes.record(method, route.url, routeRequirement(guard, requirement));
  }
}

const plugin: FastifyPluginAsync<RestguardPluginOptions> = async (app, options) => {
  // Fastify's own register options (`prefix`, `logLevel`, …) are not restguard's: core refuses
  // unknown option keys.
  const {
    errorHandlers = true,
    connectionInfo,
    prefix: _prefix,
    logLevel: _logLevel,
    logSerializers: _logSerializers,
    ...rest
  } = options as RestguardFastifyOptions & Record<string, unknown>;
  const shared = 'guard' in rest && isGuard(rest.guard);
  const guard = shared ? (rest.guard as Guard) : resolveGuard(rest as GuardOptions);
  if (!shared) app.addHook('onClose', () => guard.close());

  const decorator = decoratorFor(guard);
  // A second registration in a child scope stacks: the parent's hook still runs first.
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null);
  app.decorate('restguard', decorator);

  app.addHook('onRequest', async (request, reply) => {
    const result = await authenticate(guard, nodeAuthRequest(request.raw, request.url, connectionInfo));
    if (!result.allow) return send(reply, result.answer);
    reply.headers(result.headers);
    request.auth = result.principal;
  });

  app.addHook('onRoute', (route) => recordRoute(guard, decorator, route));

  if (errorHandlers) {
    const answerError = serverErrorAnswerer<FastifyRequest>(
      { onServerError: (err, request) => request.log.error({ err }, 'request failed') },
      'restguard',
    );
    app.setErrorHandler((err, request, reply) => send(reply, answerError(err, guard, request)));
    app.setNotFoundHandler((_request, reply) => send(reply, statusProblem(404)));
  }
};

/**
 * Options for `@fastify/swagger` that make its document state what the guard enforces: a
 * `transformObject` that adds restguard's security schemes and sets each operation's `security` from
 * `guard.routes` (recorded for every route of the plugin's scope). Spread into the swagger options;
 * register `restguard` before the routes. Pass the app that registered `restguard` (or, when it is
 * registered in an encapsulated child scope, the guard shared with it: `{ guard }`). Core's document options (the authorization server's
 * metadata for the OAuth 2.0 flows, DPoP, scope descriptions) pass through.
 * @example
 * import swagger from '@fastify/swagger';
 * await app.register(restguard, guardOptions);
 * await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 'Notes', version: '1.0.0' } }, ...restguardSwagger(app) });
 * // … routes …
 * await app.ready();
 * const doc = app.swagger();
 */
export function restguardSwagger(
  source: Guard | { readonly restguard?: RestguardDecorator },
  options: OpenApiDocumentOptions = {},
): {
  /** `@fastify/swagger`'s hook: the document with restguard's security schemes and requirements. */
  transformObject: (documents: { openapiObject?: object; swaggerObject?: object }) => OpenApiDocument;
} {
  return {
    transformObject({ openapiObject, swaggerObject }) {
      // The app is read now: `restguard` may be registered after swagger.
      const guard = isGuard(source) ? source : source.restguard?.guard;
      const base = (openapiObject ?? swaggerObject ?? {}) as OpenApiDocument;
      return guard ? guardOpenApiDocument(guard, { ...options, base }) : base;
    },
  };
}

/**
 * The plugin. Takes core's `GuardOptions` (documented once in core) or `{ guard }`, plus
 * {@link RestguardFastifyOptions}. Sets `request.auth`, adds `app.restguard.require(…)`, honours a
 * route's `config: { restguard: { scopes } }`, and (unless `errorHandlers: false`) answers Fastify's
 * own errors and 404s as problem+json.
 * @example
 * import Fastify from 'fastify';
 * import { restguard } from '@restguard/fastify';
 *
 * const app = Fastify();
 * await app.register(restguard, { tokens: { issuers: [{ issuer, audience }] } });
 * app.get('/api/notes', { config: { restguard: { scopes: ['read'] } } }, async (request) => ({ subject: request.auth?.subject }));
 * app.post('/api/notes', { onRequest: app.restguard.require(['write']) }, async () => ({ ok: true }));
 */
export const restguard = fp(plugin, { name: '@restguard/fastify', fastify: '5.x' });
