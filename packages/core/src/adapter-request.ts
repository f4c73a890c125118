/**
 * The request translations the framework adapters share, written once: a Node request (raw headers,
 * socket facts, capped body) or a Web `Request` becomes core's `AuthRequest`, and an `HttpAnswer`
 * becomes a Web `Response`. Web APIs only: a Node request is read through its shape (an async iterable
 * of bytes with `rawHeaders` and a `socket`), never through a Node module, so Hono can translate a
 * `@hono/node-server` request without importing `@restguard/core/node`.
 */
import { DEFAULT_MAX_BODY_BYTES, readBodyText } from './adapter-support.js';
import type { HttpAnswer } from './errors.js';
import { type AuthRequest, headersFromRaw, headersFromWeb } from './request.js';

/**
 * Connection facts of one request: whether the connection itself is TLS, the peer's address and the
 * client certificate (what `nodeConnectionInfo` of `@restguard/core/node` reads from a socket).
 * @example
 * const facts: ConnectionFacts = { tls: true, remoteAddress: '127.0.0.1' };
 */
export type ConnectionFacts = Pick<AuthRequest, 'tls' | 'remoteAddress' | 'clientCertificate'>;

/**
 * The socket fields {@link incomingAuthRequest} reads when no connection reader is given (a Node
 * `net.Socket` has them).
 * @example
 * const socket: SocketLike = { encrypted: true, remoteAddress: '127.0.0.1' };
 */
export interface SocketLike {
  readonly encrypted?: boolean;
  readonly remoteAddress?: string;
}

/**
 * The parts of a Node `IncomingMessage` that {@link incomingAuthRequest} reads. Its body is read by
 * iterating it (an `IncomingMessage` is an async iterable of chunks).
 * @example
 * const incoming: IncomingLike<Socket> = req; // an http.IncomingMessage
 */
export interface IncomingLike<Socket extends object = SocketLike> extends AsyncIterable<Uint8Array | string> {
  readonly rawHeaders: readonly string[];
  readonly headers: { readonly 'content-length'?: string | undefined };
  readonly socket: Socket;
}

/**
 * Translates a Node request into core's `AuthRequest`: every raw header kept apart, the connection
 * facts from `readConnection(socket)` (without one, `tls` and `remoteAddress` straight from the socket,
 * no client certificate), and a body read through the one capped reader ({@link readBodyText}, so an
 * overflow leaves the connection open for the 413). Pure reads; the body is read only when asked.
 * `@restguard/core/node`'s `nodeAuthRequest` calls it with `nodeConnectionInfo`.
 * @example
 * const request = incomingAuthRequest(incoming, context.req.method, incoming.url ?? '/');
 */
export function incomingAuthRequest<Socket extends object>(
  incoming: IncomingLike<Socket>,
  method: string,
  url: string,
  readConnection?: (socket: Socket) => ConnectionFacts,
): AuthRequest {
  const headers = headersFromRaw(incoming.rawHeaders);
  const body = () => readBodyText(incoming, DEFAULT_MAX_BODY_BYTES, incoming.headers['content-length']);
  if (!readConnection) {
    const socket = incoming.socket as SocketLike;
    return {
      method,
      url,
      headers,
      tls: socket.encrypted === true,
      remoteAddress: socket.remoteAddress,
      body,
    };
  }
  const connection = readConnection(incoming.socket);
  return {
    method,
    url,
    headers,
    tls: connection.tls,
    remoteAddress: connection.remoteAddress,
    clientCertificate: connection.clientCertificate,
    body,
  };
}

/**
 * Path plus query string of an absolute URL (`https://api.example/notes?x=1` → `/notes?x=1`).
 * @example
 * pathAndQuery('https://api.example/notes?x=1'); // '/notes?x=1'
 */
export function pathAndQuery(href: string): string {
  const url = new URL(href);
  return url.pathname + url.search;
}

/**
 * Translates a Web `Request` (Workers, Deno, Bun, `app.request()`) into core's `AuthRequest`. The
 * platform terminated TLS and reports it in the URL's scheme; there is no peer address or client
 * certificate. The body goes through the one capped reader ({@link readBodyText}).
 * @example
 * const decision = await authenticate(guard, webAuthRequest(request));
 */
export function webAuthRequest(request: Request): AuthRequest {
  return {
    method: request.method,
    url: pathAndQuery(request.url),
    headers: headersFromWeb(request.headers),
    tls: request.url.startsWith('https:'),
    body: () => readBodyText(request.body, DEFAULT_MAX_BODY_BYTES, request.headers.get('content-length')),
  };
}

/**
 * An answer as a Web `Response`, verbatim: repeated header values appended one by one, an empty
 * body sent as none.
 * @example
 * app.notFound(() => answerResponse(statusProblem(404)));
 */
export function answerResponse(answer: HttpAnswer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return new Response(answer.body === '' ? null : answer.body, { status: answer.status, headers });
}
