/**
 * @restguard/express: the Express (5, and 4.21+) adapter. It only translates: an Express request
 * becomes core's `AuthRequest` (every raw header kept apart, connection facts from the socket), the
 * guard decides, and its answer is written verbatim. No auth decision, parsing or error format lives here.
 */
import {
  type AuthRequest,
  ConfigInvalidError,
  checkScopeRequirement,
  DEFAULT_MAX_BODY_BYTES,
  errorAnswer,
  type Guard,
  type GuardOptions,
  type HttpAnswer,
  headersFromRaw,
  type Principal,
  readBodyText,
  resolveGuard,
  type ScopeRequirement,
  statusProblem,
} from '@restguard/core';
import { type NodeConnectionInfo, nodeConnectionInfo } from '@restguard/core/node';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';

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

/**
 * Reads a socket's TLS state, peer address and client certificate (`nodeConnectionInfo`).
 * @example
 * const reader: ConnectionInfoReader = (socket) => nodeConnectionInfo(socket, { allowUnverifiedCertificates: true });
 */
export type ConnectionInfoReader = (socket: Request['socket']) => NodeConnectionInfo;

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

function toAuthRequest(req: Request, connectionInfo: ConnectionInfoReader = nodeConnectionInfo): AuthRequest {
  const connection = connectionInfo(req.socket);
  return {
    method: req.method,
    url: req.originalUrl,
    headers: headersFromRaw(req.rawHeaders),
    tls: connection.tls,
    remoteAddress: connection.remoteAddress,
    clientCertificate: connection.clientCertificate,
    body: () => readBodyText(req, DEFAULT_MAX_BODY_BYTES, req.headers['content-length']),
  };
}

function write(res: Response, answer: HttpAnswer): void {
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.end(answer.body);
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
  const guard = resolveGuard(options);
  async function authenticate(req: Request, res: Response): Promise<boolean> {
    const request = toAuthRequest(req, adapterOptions.connectionInfo);
    if (guard.handlesAuthRoutes !== false) {
      const route = await guard.handleAuthRoute(request);
      if (route) {
        write(res, route);
        return false;
      }
    }
    const decision = await guard.decide(request);
    if (!decision.allow) {
      write(res, decision.answer);
      return false;
    }
    for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
    req.auth = decision.principal;
    (req as GuardedRequest)[GUARD] = guard;
    return true;
  }
  const handler: RequestHandler = (req, res, next) => {
    authenticate(req, res).then((proceed) => proceed && next(), next);
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
  return (req, res, next) => {
    const guard = guardOf(req);
    if (!guard) return next(new ConfigInvalidError('requireScopes() must run after restguard().'));
    const answer = guard.enforce(req.auth, checked, () => toAuthRequest(req));
    if (answer) write(res, answer);
    else next();
  };
}

/**
 * Options of {@link restguardErrorHandler}.
 * @example
 * app.use(restguardErrorHandler({ onServerError: (err, req) => logger.error({ err, path: req.path }) }));
 */
export interface ErrorHandlerOptions {
  /** Called with errors answered as 500 (bugs, not client mistakes). Default: `console.error`. */
  onServerError?: (err: unknown, req: Request) => void;
}

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
  const onServerError = options.onServerError ?? ((err: unknown) => console.error(err));
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const answer = errorAnswer(err, guardOf(req));
    if (answer.status >= 500 && answer.status !== 503) onServerError(err, req);
    write(res, answer);
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
