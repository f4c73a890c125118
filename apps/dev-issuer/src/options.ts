// Options of startDevIssuer, their defaults and their startup checks.

/**
 * The dev issuer's HTTPS certificate: PEM strings or files (a PEM string wins over its file).
 *
 * @example
 * ```ts
 * const tls: DevIssuerTlsOptions = { cert: dev.certPem, key: dev.keyPem, ca: dev.caCertPem };
 * ```
 */
export interface DevIssuerTlsOptions {
  /** Server certificate chain (PEM). */
  readonly cert?: string;
  /** Server private key (PEM). */
  readonly key?: string;
  /** Path of the server certificate chain, when `cert` is not given. */
  readonly certFile?: string;
  /** Path of the private key, when `key` is not given. */
  readonly keyFile?: string;
  /**
   * A CA certificate (PEM) the issuer additionally trusts for its own outbound calls (back-channel
   * logout to a demo app whose certificate this CA issued). Node's CA store stays trusted.
   */
  readonly ca?: string;
}

/**
 * The confidential web client `demo-web`: where it may send users back after login and logout.
 *
 * @example
 * ```ts
 * const webClient: DevIssuerWebClientOptions = {
 *   redirectUris: ['https://127.0.0.1:8443/auth/callback'],
 *   postLogoutRedirectUris: ['https://127.0.0.1:8443/'],
 *   backchannelLogoutUri: 'https://127.0.0.1:8443/auth/backchannel-logout',
 * };
 * ```
 */
export interface DevIssuerWebClientOptions {
  /** Allowed `redirect_uri` values (exact match), e.g. `https://127.0.0.1:3000/auth/callback`. */
  readonly redirectUris: readonly string[];
  /** Allowed `post_logout_redirect_uri` values (exact match). */
  readonly postLogoutRedirectUris?: readonly string[];
  /** OpenID Connect Back-Channel Logout 1.0 endpoint of the web app; the logout token carries `sid`. */
  readonly backchannelLogoutUri?: string;
}

/**
 * Options of `startDevIssuer`.
 *
 * @example
 * ```ts
 * const options: DevIssuerOptions = { port: 0, tls: { certFile, keyFile }, dataDir: './data/dev-issuer' };
 * ```
 */
export interface DevIssuerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port; `0` picks a free one (the issuer URL carries the real port). Default 9400. */
  readonly port?: number;
  /** The HTTPS certificate. */
  readonly tls: DevIssuerTlsOptions;
  /** The resource (RFC 8707) it issues RFC 9068 JWT access tokens for. Default `https://notes.restguard.test`. */
  readonly audience?: string;
  /** Where signing and cookie keys persist across restarts. Created if missing. */
  readonly dataDir: string;
  /** The issuer identifier as an `https://` origin, when it differs from `https://HOST:PORT`. */
  readonly publicUrl?: string;
  /** Receives the dev issuer's log lines (start notice, server errors); `false` silences them. Default `console.log`. */
  readonly log?: ((line: string) => void) | false;
  /** Redirect and logout URIs of the web client `demo-web`. Without it, `demo-web` can not log users in. */
  readonly webClient?: DevIssuerWebClientOptions;
  /** Lifetime of access tokens, in seconds. Default 300, so refresh can be exercised. */
  readonly accessTokenTtlSeconds?: number;
  /** JWS algorithm of JWT access tokens (both keys are always in the JWKS). Default `RS256` (RFC 9068 §2.1). */
  readonly accessTokenAlgorithm?: 'RS256' | 'ES256';
  /** More resources whose access tokens are opaque (for introspection mode), scopes `read write`. Default none. */
  readonly opaqueAudiences?: readonly string[];
}

/**
 * The audience of the demo API, used when `audience` is not given.
 *
 * @example
 * ```ts
 * const audience = process.env.AUTH_AUDIENCE ?? DEFAULT_AUDIENCE;
 * ```
 */
export const DEFAULT_AUDIENCE = 'https://notes.restguard.test';
/**
 * The port of a standalone dev issuer, and of startDevIssuer without `port`.
 *
 * @example
 * ```ts
 * const port = Number(process.env.PORT ?? DEV_ISSUER_DEFAULT_PORT);
 * ```
 */
export const DEV_ISSUER_DEFAULT_PORT = 9400;
/**
 * The API scopes the dev issuer knows for its resources.
 *
 * @example
 * ```ts
 * API_SCOPES.join(' '); // 'read write'
 * ```
 */
export const API_SCOPES: readonly string[] = Object.freeze(['read', 'write']);

/**
 * The machine client: client-credentials grant, may introspect access tokens.
 *
 * @example
 * ```ts
 * const basic = Buffer.from(`${DEV_MACHINE_CLIENT.clientId}:${DEV_MACHINE_CLIENT.clientSecret}`).toString('base64');
 * ```
 */
export const DEV_MACHINE_CLIENT = Object.freeze({
  clientId: 'demo-machine',
  clientSecret: 'demo-machine-secret',
});
/**
 * The confidential web client: authorization code + PKCE, refresh tokens, logout.
 *
 * @example
 * ```ts
 * const client = { clientId: DEV_WEB_CLIENT.clientId, clientSecret: DEV_WEB_CLIENT.clientSecret };
 * ```
 */
export const DEV_WEB_CLIENT = Object.freeze({ clientId: 'demo-web', clientSecret: 'demo-web-secret' });

/**
 * Options after defaults, as the configuration builder uses them.
 *
 * @example
 * ```ts
 * const resolved: ResolvedDevIssuerOptions = resolveOptions(options);
 * ```
 */
export interface ResolvedDevIssuerOptions {
  readonly host: string;
  readonly port: number;
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
  readonly accessTokenAlgorithm: 'RS256' | 'ES256';
  readonly opaqueAudiences: readonly string[];
  readonly webClient: DevIssuerWebClientOptions | undefined;
  readonly log: (line: string) => void;
}

function fail(message: string): never {
  throw new TypeError(`dev issuer: ${message}`);
}

function checkResource(value: string, name: string): string {
  const url = URL.parse(value);
  if (!url || url.hash || value.includes('#')) fail(`${name} must be an absolute URI without a fragment`);
  return value;
}

function checkHttpsUri(value: string, name: string): void {
  const url = URL.parse(value);
  if (url?.protocol !== 'https:' || url.hash)
    fail(`${name} must be absolute https:// URIs without a fragment`);
}

/**
 * Applies defaults and checks options; throws a `TypeError` naming the bad option.
 *
 * @example
 * ```ts
 * resolveOptions({ tls, dataDir: './data' }).audience; // 'https://notes.restguard.test'
 * ```
 */
export function resolveOptions(options: DevIssuerOptions): ResolvedDevIssuerOptions {
  const port = options.port ?? DEV_ISSUER_DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('port must be an integer from 0 to 65535');
  const ttl = options.accessTokenTtlSeconds ?? 300;
  if (!Number.isSafeInteger(ttl) || ttl <= 0) fail('accessTokenTtlSeconds must be a positive integer');
  const algorithm = options.accessTokenAlgorithm ?? 'RS256';
  if (algorithm !== 'RS256' && algorithm !== 'ES256') fail('accessTokenAlgorithm must be RS256 or ES256');
  if (!options.dataDir) fail('dataDir is required');
  const audience = checkResource(options.audience ?? DEFAULT_AUDIENCE, 'audience');
  const opaqueAudiences = (options.opaqueAudiences ?? []).map((value) =>
    checkResource(value, 'opaqueAudiences'),
  );
  if (opaqueAudiences.includes(audience)) fail('opaqueAudiences must not contain the audience');
  const web = options.webClient;
  if (web) {
    for (const uri of web.redirectUris) checkHttpsUri(uri, 'webClient.redirectUris');
    for (const uri of web.postLogoutRedirectUris ?? [])
      checkHttpsUri(uri, 'webClient.postLogoutRedirectUris');
    if (web.backchannelLogoutUri) checkHttpsUri(web.backchannelLogoutUri, 'webClient.backchannelLogoutUri');
  }
  const log = options.log === false ? () => {} : (options.log ?? ((line: string) => console.log(line)));
  return {
    host: options.host ?? '127.0.0.1',
    port,
    audience,
    accessTokenTtlSeconds: ttl,
    accessTokenAlgorithm: algorithm,
    opaqueAudiences,
    webClient: web,
    log,
  };
}

/**
 * The issuer identifier: `publicUrl` (an https origin), else `https://HOST:PORT` (IPv6 in brackets;
 * a wildcard host becomes 127.0.0.1). Never a trailing slash.
 *
 * @example
 * ```ts
 * issuerUrl('127.0.0.1', 9400); // 'https://127.0.0.1:9400'
 * ```
 */
export function issuerUrl(host: string, port: number, publicUrl?: string): string {
  if (publicUrl !== undefined) {
    const url = URL.parse(publicUrl);
    if (url?.protocol !== 'https:' || url.pathname !== '/' || url.search || url.hash) {
      fail('publicUrl must be an https:// origin without path, query or fragment');
    }
    return url.origin;
  }
  const name = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `https://${name.includes(':') ? `[${name}]` : name}:${port}`;
}
