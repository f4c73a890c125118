/**
 * @restguard/hono: the Hono middleware, on @hono/node-server and on Web-standard runtimes
 * (`app.request()`, Workers, Deno, Bun). It only translates: the request becomes core's
 * `AuthRequest`, the guard decides, refusals are thrown as `HTTPException(status, { res })` carrying
 * the guard's answer verbatim. No auth decision, parsing or error format lives here, and nothing on
 * its path imports a Node built-in.
 */
import {
  type AuthRequest,
  ConfigInvalidError,
  checkScopeRequirement,
  DEFAULT_MAX_BODY_BYTES,
  errorAnswer,
  type Guard,
  type GuardOptions,
  guardOpenApiDocument,
  type HttpAnswer,
  headersFromRaw,
  headersFromWeb,
  isGuard,
  markRequirement,
  type OpenApiDocument,
  type OpenApiDocumentOptions,
  type Principal,
  readBodyText,
  requirementOf,
  resolveGuard,
  routeRequirement,
  type ScopeRequirement,
  statusProblem,
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
export type ConnectionInfo = Pick<AuthRequest, 'tls' | 'remoteAddress' | 'clientCertificate'>;

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

interface NodeIncoming {
  method?: string;
  url?: string;
  rawHeaders: string[];
  socket: { encrypted?: boolean; remoteAddress?: string };
}

/** The Node request under @hono/node-server (`c.env.incoming`), or undefined on other runtimes. */
function nodeIncoming(env: unknown): NodeIncoming | undefined {
  const incoming = (env as { incoming?: Partial<NodeIncoming> } | undefined)?.incoming;
  return incoming && Array.isArray(incoming.rawHeaders) && incoming.socket
    ? (incoming as NodeIncoming)
    : undefined;
}

function pathAndQuery(href: string): string {
  const url = new URL(href);
  return url.pathname + url.search;
}

function toAuthRequest(c: Context, options: RestguardHonoOptions): AuthRequest {
  const incoming = nodeIncoming(c.env);
  // One capped reader everywhere: the Node request itself under @hono/node-server (so an overflow leaves
  // the connection open for the 413), the Web stream `c.req.raw.body` on other runtimes.
  const body = () =>
    readBodyText(
      incoming ? (incoming as unknown as AsyncIterable<Uint8Array>) : c.req.raw.body,
      DEFAULT_MAX_BODY_BYTES,
      c.req.header('content-length'),
    );
  if (incoming) {
    const { socket } = incoming;
    const url = incoming.url ?? pathAndQuery(c.req.url);
    const headers = headersFromRaw(incoming.rawHeaders);
    if (!options.connectionInfo) {
      const tls = socket.encrypted === true;
      return { method: c.req.method, url, headers, tls, remoteAddress: socket.remoteAddress, body };
    }
    const connection: ConnectionInfo = options.connectionInfo(socket as never);
    return { method: c.req.method, url, headers, ...connection, body };
  }
  // Web-standard runtimes: the platform terminated TLS and reports it in the request URL's scheme.
  const tls = c.req.url.startsWith('https:');
  return {
    method: c.req.method,
    url: pathAndQuery(c.req.url),
    headers: headersFromWeb(c.req.raw.headers),
    tls,
    body,
  };
}

function toResponse(answer: HttpAnswer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return new Response(answer.body === '' ? null : answer.body, { status: answer.status, headers });
}

/** A refusal as Hono expects it thrown, without a stack trace (it would only point into restguard). */
function refuse(answer: HttpAnswer): HTTPException {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new HTTPException(answer.status as ContentfulStatusCode, { res: toResponse(answer) });
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
const guardOf = (c: Context): Guard | undefined => (c as GuardedContext)[GUARD];

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
  const guard = resolveGuard(options);
  const middleware = createMiddleware<RestguardEnv>(async (c, next) => {
    const request = toAuthRequest(c, adapterOptions);
    if (guard.handlesAuthRoutes !== false) {
      const route = await guard.handleAuthRoute(request);
      if (route) return toResponse(route);
    }
    const decision = await guard.decide(request);
    if (!decision.allow) throw refuse(decision.answer);
    c.set('auth', decision.principal);
    (c as GuardedContext)[GUARD] = guard;
    await next();
    for (const name in decision.headers) {
      const value = decision.headers[name]!;
      if (Array.isArray(value)) for (const item of value) c.header(name, item, { append: true });
      else c.header(name, value);
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
  const middleware = createMiddleware<RestguardEnv>(async (c, next) => {
    const guard = guardOf(c);
    if (!guard) throw new ConfigInvalidError('requireScopes() must run after restguard().');
    const answer = guard.enforce(c.get('auth'), checked, () => toAuthRequest(c, {}));
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
  if (!guard)
    throw new ConfigInvalidError('openApiDocument() needs a restguard() middleware or options.guard.');
  const operations = new Map<
    string,
    { method: string; path: string; own?: ScopeRequirement; covered: boolean }
  >();
  app.routes.forEach((route, index) => {
    if (route.method === 'ALL' || mounted.includes(route)) return;
    const key = `${route.method} ${route.path}`;
    const operation = operations.get(key) ?? { method: route.method, path: route.path, covered: false };
    operation.own ??= requirementOf(route.handler);
    operation.covered ||= mounted.some(
      (entry) =>
        (entry.handler as { guard: Guard }).guard === guard &&
        app.routes.indexOf(entry) < index &&
        (entry.method === 'ALL' || entry.method === route.method) &&
        covers(entry.path, route.path),
    );
    operations.set(key, operation);
  });
  for (const { method, path, own, covered } of operations.values()) {
    guard.routes.record(method, path, covered ? routeRequirement(guard, own) : (own ?? null));
  }
  return guardOpenApiDocument(guard, options);
}

/**
 * Options of {@link onError}.
 * @example
 * app.onError(onError({ onServerError: (err, c) => console.error(c.req.path, err) }));
 */
export interface OnErrorOptions {
  /** Called with errors answered as 500 (bugs, not client mistakes). Default: `console.error`. */
  onServerError?: (err: unknown, c: Context) => void;
}

/**
 * An `app.onError` handler: restguard's refusals go out as thrown; every other error becomes
 * problem+json with no stack and no message (an `HTTPException`'s 4xx status is kept, anything else
 * is a 500).
 * @example
 * app.onError(onError());
 */
export function onError(options: OnErrorOptions = {}): ErrorHandler {
  const onServerError = options.onServerError ?? ((err: unknown) => console.error(err));
  return (err, c) => {
    if (err instanceof HTTPException && err.res) return err.getResponse();
    const answer = errorAnswer(err, guardOf(c));
    if (answer.status >= 500 && answer.status !== 503) onServerError(err, c);
    return toResponse(answer);
  };
}

/**
 * An `app.notFound` handler answering 404 as problem+json.
 * @example
 * app.notFound(notFound());
 */
export function notFound(): NotFoundHandler {
  return () => toResponse(statusProblem(404));
}
