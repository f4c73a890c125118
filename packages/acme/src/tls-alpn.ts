/**
 * TLS-ALPN-01 (RFC 8737) on the HTTPS port itself: while a challenge is pending, each new
 * connection's ClientHello is read first; one that offers only `acme-tls/1` (RFC 8737 §3) is
 * handed to a small TLS server that presents the challenge certificate for the SNI name and closes
 * the connection after the handshake. Every other connection goes to the application's server
 * untouched. With no challenge pending, connections are passed on without being looked at.
 */
import type { Socket } from 'node:net';
import { createSecureContext, createServer, type SecureContext, type Server as TlsServer } from 'node:tls';
import { readClientHelloAlpn } from './client-hello.js';

/** The ALPN protocol name of the challenge (RFC 8737 §6.2). */
export const ACME_TLS_ALPN = 'acme-tls/1';
/** A ClientHello never needs more than one full TLS record (2^14 bytes plus a 5-byte header). */
const MAX_PEEK_BYTES = 16_389;
const PEEK_TIMEOUT_MS = 10_000;

/** Pending TLS-ALPN-01 challenges of one server. */
export interface TlsAlpnResponder {
  /** Presents `certPem`/`keyPem` (from `acme-client`'s `createAlpnCertificate`) for `domain`. */
  set(domain: string, certPem: string, keyPem: string): void;
  /** Stops answering for `domain`. */
  delete(domain: string): void;
  /** Gives the server its connection handling back. */
  detach(): void;
}

type ConnectionListener = (socket: Socket) => void;

/**
 * Lets `server` (an `https` or `tls` server, listening or not) answer TLS-ALPN-01 challenges.
 * @example
 * const responder = attachTlsAlpnResponder(httpsServer);
 * responder.set('api.example.com', alpnCertPem, alpnKeyPem); // while the CA validates
 * responder.delete('api.example.com');
 */
export function attachTlsAlpnResponder(server: TlsServer): TlsAlpnResponder {
  const contexts = new Map<string, SecureContext>();
  const challengeServer = createServer(
    {
      ALPNProtocols: [ACME_TLS_ALPN],
      SNICallback: (name, callback) => callback(null, contexts.get(name.toLowerCase())),
    },
    (socket) => socket.end(),
  );
  challengeServer.on('tlsClientError', () => undefined);
  const original = server.listeners('connection') as ConnectionListener[];
  const passOn = (socket: Socket) => {
    for (const listener of original) listener.call(server, socket);
  };
  const onConnection: ConnectionListener = (socket) => {
    if (contexts.size === 0) return passOn(socket);
    let buffered = Buffer.alloc(0);
    const finish = (challenge: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.pause();
      if (buffered.length > 0) socket.unshift(buffered);
      // A TLSSocket reads what is already buffered on the socket before its own reads.
      if (challenge) challengeServer.emit('connection', socket);
      else passOn(socket);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const found = readClientHelloAlpn(buffered);
      if (found.state === 'incomplete' && buffered.length < MAX_PEEK_BYTES) return;
      finish(found.state === 'done' && found.protocols.length === 1 && found.protocols[0] === ACME_TLS_ALPN);
    };
    const onError = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(() => finish(false), PEEK_TIMEOUT_MS);
    timer.unref();
    socket.on('data', onData);
    socket.on('error', onError);
  };
  for (const listener of original) server.off('connection', listener);
  server.on('connection', onConnection);
  return {
    set(domain, certPem, keyPem) {
      contexts.set(domain.toLowerCase(), createSecureContext({ cert: certPem, key: keyPem }));
    },
    delete(domain) {
      contexts.delete(domain.toLowerCase());
    },
    detach() {
      contexts.clear();
      server.off('connection', onConnection);
      for (const listener of original) server.on('connection', listener);
    },
  };
}
