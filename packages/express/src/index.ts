/**
 * @restguard/express: the Express (5, and 4.21+) adapter. It only translates: an Express request
 * becomes core's `AuthRequest` (every raw header kept apart, connection facts from the socket), the
 * guard decides, and its answer is written verbatim. No auth decision, parsing or error format lives here.
 */
import {
  type Authentication,
  adapterGuard,
  authenticate,
  ConfigInvalidError,
  checkScopeRequirement,
  type DocumentedRoute,
  type Guard,
  type GuardOptions,
  type HttpAnswer,
  isGuard,
  markRequirement,
  type OpenApiDocument,
  type OpenApiDocumentOptions,
  type Principal,
  routesOpenApiDocument,
  type ScopeRequirement,
  type ServerErrorOptions,
  serverErrorAnswerer,
  statusProblem,
} from '@restguard/core';
import { type ConnectionInfoReader, nodeAuthRequest } from '@restguard/core/node';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * Who made the request, set by `restguard()`. `null`: anonymous under `optional`;
       * `undefined`: `restguard()` has not run for this request.
       */
      auth?: Principal | null;
    }
  }
}

/**
 * The middleware returned by {@link restguard}, with the guard it uses (close it on shutdown).
 * @example
 * const auth: RestguardHandler = restguard(options);
 * process.on('SIGTERM', () => void auth.guard.close());
 */
export type RestguardHandler = RequestHandler & { readonly guard: Guard };

/**
 * The guard that authenticated a request, for `requireScopes()` and the error handler: a symbol-keyed
 * property of the request (a WeakMap entry per request costs the garbage collector more).
 */
const GUARD = Symbol('restguard.guard');
type GuardedRequest = Request & { [GUARD]?: Guard };
const guardOf = (req: Request): Guard | undefined => (req as GuardedRequest)[GUARD];

export type { ConnectionInfoReader } from '@restguard/core/node';

/**
 * What the middleware adds to core's options (its second argument).
 * @example
 * app.use(restguard(options, { connectionInfo: (socket) => nodeConnectionInfo(socket) }));
 */
export interface RestguardExpressOptions {
  /**
   * How connection facts are read. Default `nodeConnectionInfo` (a client certificate only when the
   * server verified it). For RFC 8705 §2.2 self-signed certificate binding, pass
   * `(socket) => nodeConnectionInfo(socket, { allowUnverifiedCertificates: true })`.
   */
  readonly connectionInfo?: ConnectionInfoReader;
}

function write(res: Response, answer: HttpAnswer): void {
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.end(answer.body);
}

/** Writes a refusal, or sets `req.auth` and the guard's headers and passes the request on. */
function admit(guard: Guard, result: Authentication, req: Request, res: Response, next: NextFunction): void {
  if (!result.allow) {
    write(res, result.answer);
    return;
  }
  for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
  req.auth = result.principal;
  (req as GuardedRequest)[GUARD] = guard;
  next();
}

/**
 * Authenticates every request it sees: serves the browser-login routes (`/auth/*`) when sessions are
 * configured, applies the TLS policy, verifies the credential and sets `req.auth`, or answers the
 * refusal itself (401/400/403/503 with `WWW-Authenticate` and problem+json). Takes the same options
 * as core's `createGuard` (see `GuardOptions`) or a guard built with it.
 * @example
 * import express from 'express';
 * import { restguard, requireScopes, restguardErrorHandler, notFoundHandler } from '@restguard/express';
 *
 * const app = express();
 * const auth = restguard({ tokens: { issuers: [{ issuer, audience }] } });
 * app.use('/api', auth);
 * app.get('/api/notes', requireScopes(['read']), (req, res) => res.json({ subject: req.auth?.subject }));
 * app.use(notFoundHandler());
 * app.use(restguardErrorHandler());
 * // on shutdown: await auth.guard.close();
 */
export function restguard(
  options: GuardOptions | Guard,
  adapterOptions: RestguardExpressOptions = {},
): RestguardHandler {
  const guard = adapterGuard(
    options,
    adapterOptions,
    { connectionInfo: true },
    'restguard (Express options)',
  );
  const handler: RequestHandler = (req, res, next) => {
    const request = nodeAuthRequest(req, req.originalUrl, adapterOptions.connectionInfo);
    authenticate(guard, request).then((result) => admit(guard, result, req, res, next), next);
  };
  return Object.assign(handler, { guard });
}

/**
 * Lets a request through only when `req.auth` holds every scope (array / `all`) and, with `any`, at
 * least one of those: else 403 `insufficient_scope` (401 when anonymous). Runs after `restguard()`.
 * The requirement is checked now, so a mistake fails at start-up.
 * @example
 * app.post('/api/notes', requireScopes(['write']), createNote);
 * app.delete('/api/notes/:id', requireScopes({ any: ['write', 'admin'] }), deleteNote);
 */
export function requireScopes(requirement: ScopeRequirement): RequestHandler {
  const checked = checkScopeRequirement(requirement);
  const handler: RequestHandler = (req, res, next) => {
    const guard = guardOf(req);
    if (!guard) return next(new ConfigInvalidError('requireScopes() must run after restguard().'));
    const answer = guard.enforce(req.auth, checked, () => nodeAuthRequest(req, req.originalUrl));
    if (answer) write(res, answer);
    else next();
  };
  return markRequirement(handler, checked);
}

/** The parts of Express's router (4 and 5) that {@link openApiDocument} reads. */
interface RouterLayer {
  handle?: unknown;
  route?: { path?: unknown; methods?: Record<string, boolean>; stack?: { handle?: unknown }[] };
  match?: (path: string) => boolean;
}

/**
 * Options of {@link openApiDocument}: core's document options, and the guard to record into when the
 * app has several (default: the first `restguard()` middleware mounted on the app).
 * @example
 * const doc = openApiDocument(app, { guard: auth.guard, authorizationServer: metadata });
 */
export interface ExpressOpenApiOptions extends OpenApiDocumentOptions {
  readonly guard?: Guard;
}

/**
 * The app's OpenAPI 3.1 document, merged from what the guard enforces: every route declared on the app
 * is recorded into `guard.routes` with its `requireScopes()` requirement (a route behind a non-optional
 * `restguard()` without one needs any valid credential; any other route gets no `security`), and core
 * builds the security schemes and each operation's `security` into `options.base`. Call it after the
 * routes are declared. Routes of nested routers (`app.use('/x', router)`) are not walked.
 * @example
 * const auth = restguard(options);
 * app.use(auth);
 * app.get('/api/notes', requireScopes(['read']), listNotes);
 * const doc = openApiDocument(app, { base: { openapi: '3.1.0', info: { title: 'Notes', version: '1.0.0' } } });
 * app.get('/openapi.json', (_req, res) => res.json(doc));
 */
export function openApiDocument(
  app: { router?: unknown; _router?: unknown },
  options: ExpressOpenApiOptions = {},
): OpenApiDocument {
  // Express 5 builds `app.router` lazily; Express 4 keeps it in `_router`.
  const router = (app._router ?? app.router) as { stack?: RouterLayer[] } | undefined;
  const stack = router?.stack ?? [];
  const mounted: { layer: RouterLayer; guard: Guard }[] = [];
  for (const layer of stack) {
    const guard = (layer.handle as { guard?: unknown } | undefined)?.guard;
    if (!layer.route && typeof layer.handle === 'function' && isGuard(guard)) mounted.push({ layer, guard });
  }
  const guard = options.guard ?? mounted[0]?.guard;
  const routes: DocumentedRoute[] = [];
  const seen: { layer: RouterLayer; guard: Guard }[] = [];
  for (const layer of stack) {
    const entry = mounted.find((candidate) => candidate.layer === layer);
    if (entry) seen.push(entry);
    const { route } = layer;
    if (!route || typeof route.path !== 'string') continue;
    const path = route.path;
    const handlers = (route.stack ?? []).map((inner) => inner.handle);
    const covered = seen.some((candidate) => candidate.guard === guard && candidate.layer.match?.(path));
    for (const [method, enabled] of Object.entries(route.methods ?? {})) {
      if (enabled && method !== '_all') routes.push({ method, path, handlers, covered });
    }
  }
  return routesOpenApiDocument(guard, routes, options);
}

/**
 * Options of {@link restguardErrorHandler}.
 * @example
 * app.use(restguardErrorHandler({ onServerError: (err, req) => logger.error({ err, path: req.path }) }));
 */
export interface ErrorHandlerOptions extends ServerErrorOptions<Request> {}

/**
 * Express error middleware (mount it last): answers every error as problem+json with no stack and no
 * message: restguard errors with their challenge, Express's own errors (body parser 400/413/415,
 * http-errors) with their 4xx status, anything else as 500.
 * @example
 * app.use(express.json());
 * // … routes …
 * app.use(notFoundHandler());
 * app.use(restguardErrorHandler({ onServerError: (err) => logger.error({ err }) }));
 */
export function restguardErrorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  const answerError = serverErrorAnswerer(options, 'restguardErrorHandler');
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    write(res, answerError(err, guardOf(req), req));
  };
}

/**
 * Answers any request that reached it with a 404 problem+json (mount it after the routes, before
 * the error handler), instead of Express's HTML page.
 * @example
 * app.use(notFoundHandler());
 */
export function notFoundHandler(): RequestHandler {
  return (_req, res) => write(res, statusProblem(404));
}
