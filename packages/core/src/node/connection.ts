/**
 * What an adapter needs to know about a Node connection to build an `AuthRequest`: whether the
 * socket itself is TLS, the peer's address (for the trusted-proxy decision) and the client
 * certificate presented on it (mTLS, RFC 8705 §3 certificate-bound access tokens).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** The connection facts of one Node request, ready to spread into an `AuthRequest`. */
export interface NodeConnectionInfo {
  /** True when this socket is TLS (`socket.encrypted`), whatever a proxy header claims. */
  readonly tls: boolean;
  /** The immediate peer's address as Node reports it (`::ffff:` IPv4-mapped forms included). */
  readonly remoteAddress?: string;
  /** The client certificate (DER) of this TLS connection, when one was presented and accepted. */
  readonly clientCertificate?: Uint8Array;
}

/** Options of {@link nodeConnectionInfo}. */
export interface NodeConnectionInfoOptions {
  /**
   * Also report a client certificate that did not chain to the server's `ca` (the server was
   * started with `requestCert: true, rejectUnauthorized: false`). Default false: only a verified
   * certificate (`socket.authorized`) is reported.
   *
   * Turn this on only for RFC 8705 §2.2 self-signed certificate binding, where the token's
   * `cnf["x5t#S256"]` is the only check: the TLS handshake still proves the client holds the
   * certificate's private key. Never turn it on when client certificates authenticate by
   * themselves (the certificate would then be whatever the client chose to send).
   */
  readonly allowUnverifiedCertificates?: boolean;
}

function isTlsSocket(socket: Socket | TLSSocket): socket is TLSSocket {
  return (socket as TLSSocket).encrypted === true;
}

/**
 * Reads the TLS state, peer address and client certificate of a Node socket (`req.socket`). Pure
 * reads, no I/O; safe to call per request. For Express, Fastify (`request.raw.socket`) and Hono on
 * `@hono/node-server` (`c.env.incoming.socket`).
 *
 * The certificate is reported only after a completed handshake and, by default, only when the
 * server verified it against its configured client CA (`socket.authorized`).
 * @example
 * import { nodeConnectionInfo } from '@restguard/core/node';
 * const request: AuthRequest = {
 *   method: req.method, url: req.url, headers: headersFromRaw(req.rawHeaders),
 *   ...nodeConnectionInfo(req.socket),
 * };
 */
export function nodeConnectionInfo(
  socket: Socket | TLSSocket,
  options: NodeConnectionInfoOptions = {},
): NodeConnectionInfo {
  const remoteAddress = socket.remoteAddress;
  if (!isTlsSocket(socket))
    return remoteAddress === undefined ? { tls: false } : { tls: false, remoteAddress };
  const info: { tls: true; remoteAddress?: string; clientCertificate?: Uint8Array } = { tls: true };
  if (remoteAddress !== undefined) info.remoteAddress = remoteAddress;
  if (socket.authorized || options.allowUnverifiedCertificates === true) {
    const certificate = socket.getPeerCertificate(false) as { raw?: Buffer } | null;
    const raw = certificate?.raw;
    if (raw && raw.length > 0)
      info.clientCertificate = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  }
  return info;
}
