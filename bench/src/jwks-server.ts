/**
 * A minimal authorization-server stand-in on 127.0.0.1: OpenID discovery, RFC 8414 metadata and the
 * JWKS (RFC 7517 §5) of the benchmark keys. It runs in the orchestrator; verifiers fetch it once and
 * cache (hono/jwk with `jwks_uri` fetches it on every request — that row shows what that costs).
 */
import { createServer, type Server } from 'node:http';
import type { PublicJwk } from './keys.js';

/** A running stand-in issuer. */
export interface JwksServer {
  /** `http://127.0.0.1:PORT`, also the `iss` of every benchmark token. */
  readonly issuer: string;
  readonly jwksUrl: string;
  /** How many times the JWKS was served (the hono/jwk `jwks_uri` row makes this large). */
  readonly fetches: () => number;
  close(): Promise<void>;
}

/**
 * Starts the stand-in issuer with `keys` in its JWKS.
 * @example
 * const issuer = await startJwksServer([key.publicJwk]);
 */
export async function startJwksServer(keys: readonly PublicJwk[]): Promise<JwksServer> {
  let fetches = 0;
  let origin = '';
  const jwks = JSON.stringify({ keys });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    let body: string | undefined;
    if (path === '/jwks.json') {
      fetches++;
      body = jwks;
    } else if (
      path === '/.well-known/openid-configuration' ||
      path === '/.well-known/oauth-authorization-server'
    ) {
      body = JSON.stringify({
        issuer: origin,
        jwks_uri: `${origin}/jwks.json`,
        token_endpoint: `${origin}/token`,
        authorization_endpoint: `${origin}/authorize`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      });
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('jwks server has no port');
  origin = `http://127.0.0.1:${address.port}`;
  return {
    issuer: origin,
    jwksUrl: `${origin}/jwks.json`,
    fetches: () => fetches,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
