/**
 * An HTTPS server that manages its own certificate: TLS 1.2 minimum (RFC 9325 §3.1.1), optional
 * client certificates (mTLS, RFC 8705), and renewed certificate files served without a restart.
 */
import type { RequestListener } from 'node:http';
import { createServer, type Server, type ServerOptions } from 'node:https';
import { ConfigInvalidError } from '../errors.js';
import { loadTlsCredentialsSync } from './credentials.js';
import {
  secureContextOptions,
  type TlsReloadOptions,
  type TlsWatcher,
  watchTlsCredentials,
} from './reload.js';

/** Options of {@link createHttpsServer}. */
export interface HttpsServerOptions extends Omit<TlsReloadOptions, 'current'> {
  /**
   * Ask clients for a certificate (mTLS). With `rejectUnauthorized` (the default), only
   * certificates chaining to `caFile` complete the handshake, and `caFile` is required.
   */
  readonly requestCert?: boolean;
  /**
   * Default true. `false` accepts any client certificate the client proves it holds; use it only
   * for RFC 8705 §2.2 self-signed certificate binding (see `nodeConnectionInfo`'s
   * `allowUnverifiedCertificates`).
   */
  readonly rejectUnauthorized?: boolean;
  /** Other `https.createServer` options (timeouts, ALPN…). TLS material and versions are set here. */
  readonly serverOptions?: Omit<
    ServerOptions,
    'cert' | 'key' | 'ca' | 'pfx' | 'passphrase' | 'minVersion' | 'requestCert' | 'rejectUnauthorized'
  >;
}

/** An HTTPS server whose certificate can be reloaded. Watching stops when the server closes. */
export interface ManagedHttpsServer extends Server {
  /** Reloads the certificate files now; true when a new certificate is being served. */
  reloadCertificates(): Promise<boolean>;
}

const MIN_VERSIONS = new Set(['TLSv1.2', 'TLSv1.3']);

/**
 * Creates (does not start) an HTTPS server, synchronously, for a Node request handler (an Express app, a Fastify
 * `serverFactory` handler, `@hono/node-server`'s listener). The files are loaded and checked now:
 * a missing, mismatched or expired certificate throws {@link ConfigInvalidError} at start-up.
 * Renewed files are picked up by watching them (default) and, when asked, on SIGHUP.
 * @example
 * const server = createHttpsServer(app, {
 *   certFile: '/etc/tls/fullchain.pem', keyFile: '/etc/tls/privkey.pem',
 *   reloadSignal: 'SIGHUP', onReload: (event) => logger.info(event),
 * });
 * server.listen(8443, '127.0.0.1');
 */
export function createHttpsServer(handler: RequestListener, options: HttpsServerOptions): ManagedHttpsServer {
  const minVersion = options.minVersion ?? 'TLSv1.2';
  if (!MIN_VERSIONS.has(minVersion)) throw new ConfigInvalidError('minVersion must be TLSv1.2 or TLSv1.3.');
  const rejectUnauthorized = options.rejectUnauthorized ?? true;
  if (options.requestCert && rejectUnauthorized && options.caFile === undefined) {
    throw new ConfigInvalidError('requestCert needs caFile: the CA that client certificates must chain to.');
  }
  const credentials = loadTlsCredentialsSync(options);
  const server = createServer(
    {
      ...options.serverOptions,
      ...secureContextOptions(credentials, minVersion, options.contextOptions),
      requestCert: options.requestCert === true,
      rejectUnauthorized,
    },
    handler,
  ) as ManagedHttpsServer;
  const watcher: TlsWatcher = watchTlsCredentials(server, { ...options, minVersion, current: credentials });
  server.reloadCertificates = () => watcher.reload();
  server.once('close', () => watcher.close());
  return server;
}
