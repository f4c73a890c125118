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
import { createGuard, type Guard, type GuardOptions } from './guard.js';
import type { ScopeRequirement } from './scope/evaluate.js';

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
