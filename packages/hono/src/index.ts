/**
 * @restguard/hono: the Hono middleware, on @hono/node-server and on Web-standard runtimes
 * (`app.request()`, Workers, Deno, Bun). It only translates: the request becomes core's
 * `AuthRequest`, the guard decides, refusals are thrown as `HTTPException(status, { res })` carrying
 * the guard's answer verbatim. No auth decision, parsing or error format lives here, and nothing on
 * its path imports a Node built-in.
 */
import {
  type AuthRequest,
  adapterGuard,
  answerResponse,
  authenticate,
  ConfigInvalidError,
  type ConnectionFacts,
  checkScopeRequirement,
  type DocumentedRoute,
  type Guard,
  type GuardOptions,
  type HttpAnswer,
  type IncomingLike,
  incomingAuthRequest,
  isGuard,
  markRequirement,
  type OpenApiDocument,
  type OpenApiDocumentOptions,
  type Principal,
  pathAndQuery,
  routesOpenApiDocument,
  type ScopeRequirement,
  type ServerErrorOptions,
  serverErrorAnswerer,
  statusProblem,
  webAuthRequest,
} from '@restguard/core';
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * The context variables the middleware sets: `c.get('auth')`.
 * @example
 * type AppEnv = { Variables: RestguardVariables & { requestId: string } };
 */
export type RestguardVariables = {
  /** Who made the request; `null` when anonymous under `optional`. */
  auth: Principal | null;
};

/**
 * The environment of an app using restguard.
 * @example
 * const app = new Hono<RestguardEnv>();
 */
export type RestguardEnv = { Variables: RestguardVariables };

/**
 * The middleware returned by {@link restguard}, with the guard it uses (close it on shutdown).
 * @example
 * const auth: RestguardMiddleware = restguard(options);
 * await auth.guard.close();
 */
export type RestguardMiddleware = MiddlewareHandler<RestguardEnv> & { readonly guard: Guard };

/**
 * Connection facts read from a Node socket (see `nodeConnectionInfo` in `@restguard/core/node`).
 * @example
 * const facts: ConnectionInfo = { tls: true, remoteAddress: '127.0.0.1' };
 */
export type ConnectionInfo = ConnectionFacts;

/**
 * What the middleware adds to core's options (its second argument).
 * @example
 * import { nodeConnectionInfo } from '@restguard/core/node';
 * app.use(restguard(options, { connectionInfo: nodeConnectionInfo })); // mTLS on @hono/node-server
 */
export interface RestguardHonoOptions {
  /**
   * On @hono/node-server, reads the connection facts from the Node socket. Default: `tls` and
   * `remoteAddress` only. Pass `nodeConnectionInfo` from `@restguard/core/node` to also hand client
   * certificates (mTLS, RFC 8705 bound tokens) to core; it stays out of the default path so that
   * this package imports no Node module.
   */
  readonly connectionInfo?: (socket: never) => ConnectionInfo;
}

type NodeIncoming = IncomingLike<object> & { readonly url?: string };
type ConnectionReader = ((socket: object) => ConnectionInfo) | undefined;

/** The Node request under @hono/node-server (`context.env.incoming`), or undefined on other runtimes. */
function nodeIncoming(env: unknown): NodeIncoming | undefined {
  const incoming = (env as { incoming?: Partial<NodeIncoming> } | undefined)?.incoming;
  return incoming && Array.isArray(incoming.rawHeaders) && incoming.socket
    ? (incoming as NodeIncoming)
    : undefined;
}

/**
 * Under @hono/node-server, the Node request itself (raw headers, socket, and a body whose overflow
 * leaves the connection open for the 413); on other runtimes, the Web request (TLS from its scheme).
 */
function toAuthRequest(context: Context, connectionInfo?: (socket: never) => ConnectionInfo): AuthRequest {
  const incoming = nodeIncoming(context.env);
  if (!incoming) return webAuthRequest(context.req.raw);
  const url = incoming.url ?? pathAndQuery(context.req.url);
  return incomingAuthRequest(incoming, context.req.method, url, connectionInfo as ConnectionReader);
}

/** Marks the exceptions `refuse()` made, so that `onError()` can answer with their response as it is. */
const REFUSAL = Symbol('restguard.refusal');

/** A refusal as Hono expects it thrown, without a stack trace (it would only point into restguard). */
function refuse(answer: HttpAnswer): HTTPException {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const refusal = new HTTPException(answer.status as ContentfulStatusCode, { res: answerResponse(answer) });
    return Object.assign(refusal, { [REFUSAL]: true });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The guard that authenticated a request, for `requireScopes()` and `onError()`: a symbol-keyed
 * property of its context (a WeakMap entry per request costs the garbage collector more).
 */
const GUARD = Symbol('restguard.guard');
type GuardedContext = Context & { [GUARD]?: Guard };
const guardOf = (context: Context): Guard | undefined => (context as GuardedContext)[GUARD];

/**
 * Authenticates every request it sees: serves the browser-login routes (`/auth/*`) when sessions are
 * configured, applies the TLS policy (TLS from the socket on Node, from the URL scheme elsewhere),
 * verifies the credential and sets `c.get('auth')`; refusals are thrown as `HTTPException` with the
 * guard's answer. Takes core's `GuardOptions` (documented once in core) or a guard built with it.
 * @example
 * import { Hono } from 'hono';
 * import { restguard, requireScopes, type RestguardEnv } from '@restguard/hono';
 *
 * const app = new Hono<RestguardEnv>();
 * app.use('/api/*', restguard({ tokens: { issuers: [{ issuer, audience }] } }));
 * app.get('/api/notes', requireScopes(['read']), (c) => c.json({ subject: c.get('auth')?.subject }));
 */
export function restguard(
  options: GuardOptions | Guard,
  adapterOptions: RestguardHonoOptions = {},
): RestguardMiddleware {
  const guard = adapterGuard(options, adapterOptions, { connectionInfo: true }, 'restguard (Hono options)');
  const middleware = createMiddleware<RestguardEnv>(async (context, next) => {
    const result = await authenticate(guard, toAuthRequest(context, adapterOptions.connectionInfo));
    if (!result.allow) {
      if ('authRoute' in result) return answerResponse(result.answer);
      throw refuse(result.answer);
    }
    context.set('auth', result.principal);
    (context as GuardedContext)[GUARD] = guard;
    await next();
    for (const name in result.headers) {
      const value = result.headers[name]!;
      if (Array.isArray(value)) for (const item of value) context.header(name, item, { append: true });
      else context.header(name, value);
    }
  });
  return Object.assign(middleware, { guard });
}

/**
 * Lets a request through only when `c.get('auth')` holds every scope (array / `all`) and, with
 * `any`, at least one of those: else 403 `insufficient_scope` (401 when anonymous), thrown as an
 * `HTTPException`. Runs after `restguard()`; the requirement is checked now, at start-up.
 * @example
 * app.post('/api/notes', requireScopes(['write']), (c) => c.json({ ok: true }, 201));
 * app.delete('/api/notes/:id', requireScopes({ any: ['write', 'admin'] }), (c) => c.body(null, 204));
 */
export function requireScopes(requirement: ScopeRequirement): MiddlewareHandler<RestguardEnv> {
  const checked = checkScopeRequirement(requirement);
  const middleware = createMiddleware<RestguardEnv>(async (context, next) => {
    const guard = guardOf(context);
    if (!guard) throw new ConfigInvalidError('requireScopes() must run after restguard().');
    const answer = guard.enforce(context.get('auth'), checked, () => toAuthRequest(context));
    if (answer) throw refuse(answer);
    await next();
  });
  return markRequirement(middleware, checked);
}

/** Whether a Hono middleware path (`*`, `/api/*`, `/api`) covers a route path. */
function covers(pattern: string, path: string): boolean {
  if (pattern === '*' || pattern === '/*') return true;
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -2);
    return path === prefix || path.startsWith(`${prefix}/`);
  }
  return pattern === path;
}

/**
 * Options of {@link openApiDocument}: core's document options, and the guard to record into when the
 * app has several (default: the first `restguard()` middleware of the app).
 * @example
 * const doc = openApiDocument(app, { guard: auth.guard, authorizationServer: metadata });
 */
export interface HonoOpenApiOptions extends OpenApiDocumentOptions {
  readonly guard?: Guard;
}

/**
 * The app's OpenAPI 3.1 document, merged from what the guard enforces: every route of the app (sub-apps
 * mounted with `app.route()` included) is recorded into `guard.routes` with its `requireScopes()`
 * requirement (a route behind a non-optional `restguard()` without one needs any valid credential; any
 * other route gets no `security`), and core builds the security schemes and each operation's `security`
 * into `options.base`: with `@hono/zod-openapi`, pass `app.getOpenAPI31Document(…)`. Call it after the
 * routes are declared.
 * @example
 * const app = new OpenAPIHono<RestguardEnv>();
 * app.use('/api/*', restguard(options));
 * app.get('/api/notes', requireScopes(['read']), listNotes);
 * const doc = openApiDocument(app, { base: app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'Notes', version: '1.0.0' } }) });
 * app.get('/openapi.json', (c) => c.json(doc));
 */
export function openApiDocument(
  app: { readonly routes: readonly { method: string; path: string; handler: unknown }[] },
  options: HonoOpenApiOptions = {},
): OpenApiDocument {
  const mounted = app.routes.filter((route) => isGuard((route.handler as { guard?: unknown }).guard));
  const guard = options.guard ?? (mounted[0]?.handler as { guard: Guard } | undefined)?.guard;
  const operations = new Map<string, DocumentedRoute & { handlers: unknown[]; covered: boolean }>();
  app.routes.forEach((route, index) => {
    if (route.method === 'ALL' || mounted.includes(route)) return;
    const { method, path } = route;
    const operation = operations.get(`${method} ${path}`) ?? { method, path, handlers: [], covered: false };
    operation.handlers.push(route.handler);
    operation.covered ||= mounted.some(
      (entry) =>
        (entry.handler as { guard: Guard }).guard === guard &&
        app.routes.indexOf(entry) < index &&
        (entry.method === 'ALL' || entry.method === method) &&
        covers(entry.path, path),
    );
    operations.set(`${method} ${path}`, operation);
  });
  return routesOpenApiDocument(guard, operations.values(), options);
}

/**
 * Options of {@link onError}.
 * @example
 * app.onError(onError({ onServerError: (err, c) => console.error(c.req.path, err) }));
 */
export interface OnErrorOptions extends ServerErrorOptions<Context> {}

/**
 * An `app.onError` handler: restguard's refusals go out as thrown; every other error becomes
 * problem+json with no stack and no message (an `HTTPException`'s 4xx status is kept, anything else
 * is a 500).
 * @example
 * app.onError(onError());
 */
export function onError(options: OnErrorOptions = {}): ErrorHandler {
  const answerError = serverErrorAnswerer(options, 'onError');
  return (err, context) => {
    // A refusal of restguard's carries its own unread, string-bodied response: returned as it is, it
    // keeps @hono/node-server's fast path (`getResponse()` would re-wrap its body as a stream).
    if (err instanceof HTTPException && err.res) return REFUSAL in err ? err.res : err.getResponse();
    return answerResponse(answerError(err, guardOf(context), context));
  };
}

/**
 * An `app.notFound` handler answering 404 as problem+json.
 * @example
 * app.notFound(notFound());
 */
export function notFound(): NotFoundHandler {
  return () => answerResponse(statusProblem(404));
}
