/**
 * The Node request translation of the Node adapters (Express, Fastify): core's `incomingAuthRequest`
 * with `nodeConnectionInfo` as the default connection reader, so a verified client certificate
 * reaches core (mTLS, RFC 8705 §3 certificate-bound access tokens).
 */
import type { Socket } from 'node:net';
import { incomingAuthRequest } from '../adapter-request.js';
import type { AuthRequest } from '../request.js';
import { type NodeConnectionInfo, nodeConnectionInfo } from './connection.js';

/**
 * Reads a socket's TLS state, peer address and client certificate (`nodeConnectionInfo`).
 * @example
 * const reader: ConnectionInfoReader = (socket) => nodeConnectionInfo(socket, { allowUnverifiedCertificates: true });
 */
export type ConnectionInfoReader = (socket: Socket) => NodeConnectionInfo;

/**
 * The parts of a Node `IncomingMessage` that {@link nodeAuthRequest} reads.
 * @example
 * const incoming: NodeIncoming = req; // an http.IncomingMessage, Express's req, Fastify's request.raw
 */
export interface NodeIncoming extends AsyncIterable<Uint8Array | string> {
  readonly method?: string | undefined;
  readonly rawHeaders: readonly string[];
  readonly headers: { readonly 'content-length'?: string | undefined };
  readonly socket: Socket;
}

/**
 * Translates a Node request (`req` in Express, `request.raw` in Fastify) into core's `AuthRequest`:
 * every raw header kept apart, connection facts from `connectionInfo(req.socket)` (default
 * `nodeConnectionInfo`: a client certificate only when the server verified it), and a body read
 * through the one capped reader. `url` is the path and query the framework routes on.
 * @example
 * const decision = await authenticate(guard, nodeAuthRequest(req, req.originalUrl));
 */
export function nodeAuthRequest(
  incoming: NodeIncoming,
  url: string,
  connectionInfo: ConnectionInfoReader = nodeConnectionInfo,
): AuthRequest {
  return incomingAuthRequest(incoming, incoming.method ?? 'GET', url, connectionInfo);
}
