// startDevIssuer: a real OpenID Provider (oidc-provider) over HTTPS, for development and tests only.
import { readFile } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { createConfiguration } from './configuration.js';
import { createInteractionHandler } from './interactions.js';
import { loadOrCreateKeys } from './keys.js';
import { type DevIssuerOptions, type DevIssuerTlsOptions, issuerUrl, resolveOptions } from './options.js';

/**
 * A running dev issuer.
 *
 * @example
 * ```ts
 * const devIssuer: DevIssuer = await startDevIssuer(options);
 * await fetch(`${devIssuer.issuer}/.well-known/openid-configuration`, { dispatcher });
 * ```
 */
export interface DevIssuer {
  /** The issuer identifier, `https://HOST:PORT` with the real port (or `publicUrl`). */
  readonly issuer: string;
  /** The port it listens on. */
  readonly port: number;
  /** The audience (resource) of its JWT access tokens. */
  readonly audience: string;
  /** Its JWKS URI, `${issuer}/jwks`. */
  readonly jwksUri: string;
  /** Its token endpoint, `${issuer}/token`. */
  readonly tokenEndpoint: string;
  /** Its introspection endpoint, `${issuer}/token/introspection`. */
  readonly introspectionEndpoint: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

async function pem(value: string | undefined, file: string | undefined, name: string): Promise<string> {
  if (value) return value;
  if (file) return readFile(file, 'utf8');
  throw new TypeError(`dev issuer: tls.${name} or tls.${name}File is required`);
}

async function loadTls(tls: DevIssuerTlsOptions): Promise<{ cert: string; key: string }> {
  if (!tls) throw new TypeError('dev issuer: tls is required');
  return { cert: await pem(tls.cert, tls.certFile, 'cert'), key: await pem(tls.key, tls.keyFile, 'key') };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts the dev issuer: an OpenID Provider built on oidc-provider, over HTTPS, with the development
 * accounts `alice`/`alice` (read write) and `bob`/`bob` (read), the machine client `demo-machine`
 * (client credentials) and the web client `demo-web` (authorization code + PKCE, refresh tokens,
 * logout). Signing and cookie keys persist in `dataDir`. For development and tests only: it says so
 * in one log line at start.
 *
 * @example
 * ```ts
 * import { startDevIssuer } from '@restguard/dev-issuer';
 * const devIssuer = await startDevIssuer({ port: 0, tls: { cert, key }, dataDir: './data/dev-issuer' });
 * console.log(devIssuer.issuer); // https://127.0.0.1:PORT
 * await devIssuer.close();
 * ```
 */
export async function startDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const resolved = resolveOptions(options);
  if (options.publicUrl !== undefined) issuerUrl(resolved.host, resolved.port, options.publicUrl);
  const [tls, keys] = await Promise.all([loadTls(options.tls), loadOrCreateKeys(options.dataDir)]);

  // Listen first so that port 0 works: the issuer identifier carries the real port.
  let handle: RequestListener | undefined;
  const server = createServer({ ...tls, minVersion: 'TLSv1.2' }, (req, res) => {
    if (handle) handle(req, res);
    else res.writeHead(503, { 'retry-after': '1' }).end();
  });
  const port = await listen(server, resolved.port, resolved.host);
  try {
    const issuer = issuerUrl(resolved.host, port, options.publicUrl);
    const provider = new Provider(issuer, createConfiguration(resolved, keys, options.tls.ca));
    provider.on('server_error', (_ctx, error: Error) =>
      resolved.log(`dev issuer: server error: ${error.message}`),
    );
    provider.on('backchannel.error', (_ctx, error: Error, client: { clientId: string }) =>
      resolved.log(`dev issuer: back-channel logout to ${client.clientId} failed: ${error.message}`),
    );
    const interactions = createInteractionHandler(provider, resolved.log);
    const callback = provider.callback();
    handle = (req, res) => {
      if (req.url?.startsWith('/interaction/')) void interactions(req, res);
      else void callback(req, res);
    };
    resolved.log(
      `dev issuer ${issuer}: a development OpenID Provider with built-in passwords, for development and tests only; never use it in production.`,
    );
    return {
      issuer,
      port,
      audience: resolved.audience,
      jwksUri: `${issuer}/jwks`,
      tokenEndpoint: `${issuer}/token`,
      introspectionEndpoint: `${issuer}/token/introspection`,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  } catch (error) {
    server.close();
    throw error;
  }
}
