/**
 * What the framework adapters share, so that none of them holds an auth decision, a parsing rule or
 * an error format of its own: turning "options or a guard" into a guard, checking a route's scope
 * requirement at start-up, and rendering any error (restguard's or the framework's own 404, 405, 415,
 * JSON parse failure …) as an RFC 9457 problem+json answer.
 *
 * Framework errors keep their 4xx status but never their message: a parser's message can quote the
 * request body, so the problem carries the status's RFC 9110 §15 reason phrase only. Anything that is
 * not a 4xx becomes a 500 without detail.
 */
import {
  BodyTooLargeError,
  ConfigInvalidError,
  type HttpAnswer,
  isRestguardError,
  problemAnswer,
  toChallenge,
} from './errors.js';
import { createGuard, type Decision, type Guard, type GuardOptions } from './guard.js';
import {
  guardOpenApiDocument,
  type OpenApiDocument,
  type OpenApiDocumentOptions,
} from './openapi/document.js';
import { optionKeys, refuseUnknownOptions } from './options-check.js';
import type { AuthRequest } from './request.js';
import type { ScopeRequirement } from './scope/evaluate.js';

// The request translations (Node request, Web Request) and the answer → Web Response writer.
export * from './adapter-request.js';
// The adapters refuse unknown keys in their own options with the same checker as createGuard.
export { optionKeys, refuseUnknownOptions };

const REQUIREMENT = Symbol.for('restguard.requirement');

/**
 * Marks a route handler or hook an adapter built for a scope requirement, so the adapter can record
 * the route into `guard.routes` once it knows the route's method and path.
 * @example
 * return markRequirement((req, res, next) => { … }, checked);
 */
export function markRequirement<T extends object>(handler: T, requirement: ScopeRequirement): T {
  return Object.assign(handler, { [REQUIREMENT]: requirement });
}

/**
 * The requirement a handler was marked with by {@link markRequirement}, else undefined.
 * @example
 * const requirement = requirementOf(layer.handle);
 */
export function requirementOf(handler: unknown): ScopeRequirement | undefined {
  if ((typeof handler !== 'function' && typeof handler !== 'object') || handler === null) return undefined;
  return (handler as { [REQUIREMENT]?: ScopeRequirement })[REQUIREMENT];
}

/**
 * What a route behind a guard's middleware needs: its own requirement when it has one, else any
 * valid credential (`[]`), or nothing (`null`) when the guard is `optional`.
 * @example
 * guard.routes.record('GET', '/api/me', routeRequirement(guard, undefined));
 */
export function routeRequirement(
  guard: Pick<Guard, 'options'>,
  own: ScopeRequirement | undefined,
): ScopeRequirement | null {
  return own ?? (guard.options.optional ? null : []);
}

/**
 * A guard as-is, or a new one built from options. Adapters accept either, so an app can share one
 * guard between routers (and close it) or just pass options.
 * @example
 * const guard = resolveGuard(optionsOrGuard);
 */
export function resolveGuard(input: GuardOptions | Guard): Guard {
  if (typeof input !== 'object' || input === null) {
    throw new ConfigInvalidError('restguard needs guard options or a guard built by createGuard().');
  }
  return isGuard(input) ? input : createGuard(input);
}

/**
 * What an adapter's `restguard(options, adapterOptions)` starts with: its own options checked for
 * unknown keys (the compiler checks that `keys` names every key of `T`), then {@link resolveGuard}.
 * @example
 * const guard = adapterGuard(options, adapterOptions, { connectionInfo: true }, 'restguard (Express options)');
 */
export function adapterGuard<T extends object>(
  options: GuardOptions | Guard,
  adapterOptions: T,
  keys: { readonly [K in keyof Required<T>]: true },
  where: string,
): Guard {
  refuseUnknownOptions(adapterOptions, optionKeys<T>(keys), where);
  return resolveGuard(options);
}

/**
 * True for a guard built by `createGuard` (or anything shaped like one).
 * @example
 * if (isGuard(value)) await value.close();
 */
export function isGuard(value: unknown): value is Guard {
  const candidate = value as Partial<Guard> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.decide === 'function' &&
    typeof candidate.enforce === 'function'
  );
}

/**
 * What {@link authenticate} hands an adapter: the guard's {@link Decision} (`{ allow: true, principal,
 * headers }`: set the principal where the framework keeps it and add the headers; `{ allow: false,
 * answer }`: write the answer verbatim), or the answer of a browser-login route (`authRoute: true`),
 * which is the response itself rather than a refusal.
 * @example
 * const result = await authenticate(guard, request);
 * if (!result.allow) return write(res, result.answer);
 */
export type Authentication =
  | Decision
  | { readonly allow: false; readonly answer: HttpAnswer; readonly authRoute: true };

/**
 * The one authentication step of every adapter: the browser-login routes (`/auth/*`) when the guard
 * serves them, else `guard.decide(request)`, which makes the auth decision. The adapter only writes
 * the answer or sets the principal. No allocation of its own when the guard serves no login routes.
 * @example
 * const result = await authenticate(guard, nodeAuthRequest(req, req.originalUrl));
 * if (result.allow) req.auth = result.principal;
 * else write(res, result.answer);
 */
export function authenticate(guard: Guard, request: AuthRequest): Promise<Authentication> {
  return guard.handlesAuthRoutes === false ? guard.decide(request) : routeThenDecide(guard, request);
}

async function routeThenDecide(guard: Guard, request: AuthRequest): Promise<Authentication> {
  const route = await guard.handleAuthRoute(request);
  return route ? { allow: false, answer: route, authRoute: true } : guard.decide(request);
}

/**
 * One route an adapter found on the app, for {@link routesOpenApiDocument}: its method and path, its
 * handlers (the first one marked by {@link markRequirement} is its own requirement), and whether the
 * guard's middleware runs before it.
 * @example
 * const route: DocumentedRoute = { method: 'GET', path: '/api/notes', handlers: [requireScopes(['read']), list], covered: true };
 */
export interface DocumentedRoute {
  readonly method: string;
  readonly path: string;
  readonly handlers: readonly unknown[];
  readonly covered: boolean;
}

/**
 * The adapters' `openApiDocument`: records every route into `guard.routes` with what it enforces (a
 * covered route its own requirement, else any valid credential, or nothing under `optional`; a route
 * the guard does not cover its own requirement or no `security`), then builds the document. An
 * operation listed twice (a method and path declared twice) keeps the first requirement found.
 * @example
 * return routesOpenApiDocument(options.guard ?? firstGuard, routes, options);
 */
export function routesOpenApiDocument(
  guard: Guard | undefined,
  routes: Iterable<DocumentedRoute>,
  options: OpenApiDocumentOptions,
): OpenApiDocument {
  if (!guard)
    throw new ConfigInvalidError('openApiDocument() needs a restguard() middleware or options.guard.');
  for (const { method, path, handlers, covered } of routes) {
    const own = handlers.map(requirementOf).find((found) => found);
    guard.routes.record(method, path, covered ? routeRequirement(guard, own) : (own ?? null));
  }
  return guardOpenApiDocument(guard, options);
}

/**
 * Options of an adapter's error handler (`restguardErrorHandler`, `onError`).
 * @example
 * const options: ServerErrorOptions<Request> = { onServerError: (err, req) => logger.error({ err, path: req.path }) };
 */
export interface ServerErrorOptions<Context> {
  /** Called with errors answered as 500 (bugs, not client mistakes). Default: `console.error`. */
  onServerError?: (err: unknown, context: Context) => void;
}

const SERVER_ERROR_OPTION_KEYS = optionKeys<ServerErrorOptions<unknown>>({ onServerError: true });

/**
 * Checks an error handler's options at start-up and returns what it answers per error: {@link
 * errorAnswer}, after reporting a 500 (not a 503) to `onServerError`.
 * @example
 * const answerError = serverErrorAnswerer(options, 'restguardErrorHandler');
 * app.use((err, req, res, next) => write(res, answerError(err, guardOf(req), req)));
 */
export function serverErrorAnswerer<Context>(
  options: ServerErrorOptions<Context>,
  caller: string,
): (err: unknown, guard: Pick<Guard, 'challenge'> | undefined, context: Context) => HttpAnswer {
  refuseUnknownOptions(options, SERVER_ERROR_OPTION_KEYS, caller);
  const onServerError = options.onServerError ?? ((err: unknown) => console.error(err));
  return (err, guard, context) => {
    const answer = errorAnswer(err, guard);
    if (answer.status >= 500 && answer.status !== 503) onServerError(err, context);
    return answer;
  };
}

/** RFC 9110 §15 reason phrases for the client errors a framework raises itself. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
};

/**
 * The problem+json answer for a plain HTTP status, for the framework's own 404, 405, 415 and the
 * like: the status's reason phrase as `title`, no detail. Statuses outside 4xx give a bare 500.
 * @example
 * const answer = statusProblem(404);
 * // { status: 404, headers: { 'content-type': 'application/problem+json', … }, body: '{"type":"about:blank","title":"Not Found","status":404}' }
 */
export function statusProblem(status: number, headers: Record<string, string | string[]> = {}): HttpAnswer {
  if (!Number.isInteger(status) || status < 400 || status > 499) return toChallenge(undefined);
  return problemAnswer(status, REASONS[status] ?? 'Client Error', undefined, {}, headers);
}

/**
 * The answer for an error that reached a framework's error handler. A restguard error maps through
 * the guard's challenge (its realm); an error with a 4xx `status`/`statusCode` (http-errors, body
 * parsers, Fastify's `FST_ERR_*`, Hono's `HTTPException`) becomes {@link statusProblem}; anything
 * else is a 500 without detail. Never a message, never a stack.
 * @example
 * app.use((err, req, res, next) => write(res, errorAnswer(err, guard)));
 */
export function errorAnswer(err: unknown, guard?: Pick<Guard, 'challenge'>): HttpAnswer {
  if (isRestguardError(err)) return guard ? guard.challenge(err) : toChallenge(err);
  if (typeof err === 'object' && err !== null) {
    const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
    const code = typeof status === 'number' ? status : statusCode;
    if (typeof code === 'number' && code >= 400 && code <= 499) return statusProblem(code);
  }
  return toChallenge(err);
}

/**
 * Default cap on a request body read for the browser-login routes (back-channel logout posts).
 * @example
 * await readBodyText(req, DEFAULT_MAX_BODY_BYTES * 2);
 */
export const DEFAULT_MAX_BODY_BYTES = 65536;

/** A body source: a Node `IncomingMessage` (or any async iterable of bytes) or a Web `ReadableStream`. */
export type BodySource = AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>;

/**
 * Reads a request body as UTF-8 text through one cap: a `Content-Length` over the cap is refused before
 * a byte is read, and a streamed body stops being read the moment it passes the cap (never more than
 * the cap plus one chunk in memory), with a {@link BodyTooLargeError} (413). Web APIs only.
 *
 * On overflow the reader simply stops pulling: a Node request is left paused (not destroyed, which
 * would reset the connection before the 413 goes out; Node closes it after the answer), a Web
 * `ReadableStream` is cancelled. `contentLength` is the request's `Content-Length` header, if any.
 * @example
 * const request = { …, body: () => readBodyText(req, DEFAULT_MAX_BODY_BYTES, req.headers['content-length']) };
 */
export async function readBodyText(
  stream: BodySource | null | undefined,
  maxBytes: number = DEFAULT_MAX_BODY_BYTES,
  contentLength?: string | null,
): Promise<string> {
  if (contentLength !== undefined && contentLength !== null && /^\d+$/.test(contentLength.trim())) {
    if (Number(contentLength.trim()) > maxBytes) throw new BodyTooLargeError();
  }
  if (!stream) return '';
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let text = '';
  let size = 0;
  const take = (chunk: Uint8Array | string): boolean => {
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    size += bytes.byteLength;
    if (size > maxBytes) return false;
    text += decoder.decode(bytes, { stream: true });
    return true;
  };
  if ('getReader' in stream && typeof stream.getReader === 'function') {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!take(value)) {
        reader.cancel().catch(() => {});
        throw new BodyTooLargeError();
      }
    }
  } else {
    // Pulled by hand: a `for await` would call `return()` on overflow, destroying a Node request
    // (and its connection) before the 413 is written.
    const iterator = (stream as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
    for (;;) {
      const { done, value } = await iterator.next();
      if (done) break;
      if (!take(value)) throw new BodyTooLargeError();
    }
  }
  return text + decoder.decode();
}
