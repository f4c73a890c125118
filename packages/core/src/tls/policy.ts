/**
 * The TLS policy, decided per request: is this request on HTTPS (directly, or per a trusted
 * proxy's RFC 7239 `Forwarded` / `X-Forwarded-Proto`), which HSTS header (RFC 6797 §6.1) goes on
 * HTTPS answers, and what a plain-HTTP request without credentials gets: a 308 (RFC 9110 §15.4.9)
 * to the configured public origin for GET/HEAD, else a 403 `https_required` problem. A plain-HTTP
 * request carrying a credential is refused by the guard (never redirected: a redirect would make
 * the client replay the credential).
 */
import { queryCarriesCredential } from '../credentials.js';
import { ConfigInvalidError, type HttpAnswer, HttpsRequiredError, toChallenge } from '../errors.js';
import { optionKeys, refuseUnknownNestedOptions } from '../options-check.js';
import type { AuthRequest } from '../request.js';
import { forwardedClientCertificate, forwardedProtos } from './forwarded.js';
import { type HstsOptions, hstsHeader } from './hsts.js';
import { createAddressMatcher } from './ip.js';

/**
 * TLS policy options. Everything is safe by default: no proxy is trusted, no redirect target is
 * guessed, HSTS is on for a year with `includeSubDomains`.
 * @example
 * const options: TlsPolicyOptions = {
 *   trustedProxies: ['10.0.0.0/8', '::1'],
 *   publicOrigin: 'https://api.example',
 *   hsts: { maxAgeSeconds: 63072000, includeSubDomains: true, preload: true },
 * };
 */
export interface TlsPolicyOptions {
  /**
   * Addresses and CIDR ranges (IPv4 and IPv6) of the reverse proxies in front of this server.
   * Only a request whose immediate peer is in this list may declare HTTPS through `Forwarded:
   * proto=https` or `X-Forwarded-Proto: https`, or forward a client certificate. Default: none.
   *
   * The right-most value of each header is used (the one the adjacent proxy appended or set). When
   * both headers are present, both must say `https`. Behind several proxies, have the edge proxy
   * overwrite the header: an inner proxy that appends its own `http` hop makes the request insecure
   * (restguard fails closed).
   */
  readonly trustedProxies?: readonly string[];
  /**
   * The HTTPS origin clients should use (`https://api.example`, `https://localhost:8443`), the only
   * source of a redirect target. Without it, plain-HTTP GET/HEAD gets a 403 `https_required`
   * problem instead of a redirect; the `Host` header is never used (a client chooses it).
   */
  readonly publicOrigin?: string;
  /** `Strict-Transport-Security` on every HTTPS answer. Default: one year, `includeSubDomains`. `false`: off. */
  readonly hsts?: HstsOptions | false;
  /**
   * Revoke a restguard-managed API key that arrived over plain HTTP (it may have been seen on the
   * wire). Default false; the `credential_exposed` event is emitted either way.
   */
  readonly revokeExposedApiKeys?: boolean;
  /**
   * Lower-case name of the header in which a trusted, TLS-terminating proxy forwards the client
   * certificate, e.g. `client-cert` (RFC 9440 `:base64 DER:`), `x-client-cert` / `x-ssl-cert` (URL-
   * encoded PEM: nginx `$ssl_client_escaped_cert`), `x-amzn-mtls-clientcert` (AWS ALB) or
   * `x-forwarded-client-cert` (Envoy, right-most element's `Cert`). Default: none, so a certificate
   * comes only from this server's own TLS socket. Set it only when the proxy overwrites the header on
   * every request: a header passed through from the client would let it claim any certificate.
   */
  readonly clientCertificateHeader?: string;
}

/** Every key of {@link TlsPolicyOptions}; anything else is refused at start-up. */
const TLS_POLICY_OPTION_KEYS = optionKeys<TlsPolicyOptions>({
  trustedProxies: true,
  publicOrigin: true,
  hsts: true,
  revokeExposedApiKeys: true,
  clientCertificateHeader: true,
});

/** The TLS policy, decided per request. */
export interface TlsPolicy {
  /** Over TLS: directly, or per forwarded headers from a trusted proxy. */
  secure(request: AuthRequest): boolean;
  /** The `Strict-Transport-Security` value, or null when HSTS is off. */
  readonly hsts: string | null;
  /** The answer for a plain-HTTP request without credentials (308 for GET/HEAD, else 403). */
  insecureAnswer(request: AuthRequest): HttpAnswer;
  /** The client certificate (DER) from the socket, or from a trusted proxy's header. */
  clientCertificate(request: AuthRequest): Uint8Array | undefined;
  /** Opt-in: revoke a restguard API key seen over plain HTTP. */
  readonly revokeExposedApiKeys: boolean;
  /** The normalised public origin (`https://host[:port]`), or null. */
  readonly publicOrigin: string | null;
}

function checkOrigin(value: string | undefined): string | null {
  if (value === undefined) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigInvalidError(
      'tls.publicOrigin must be an absolute https URL such as https://api.example.',
    );
  }
  if (
    url.protocol !== 'https:' ||
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    url.pathname !== '/'
  ) {
    throw new ConfigInvalidError(
      'tls.publicOrigin must be an https origin only (no path, query or credentials).',
    );
  }
  return url.origin;
}

/** The request's path and query, from origin-form or absolute-form targets; null otherwise. */
function pathAndQuery(target: string): string | null {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

/**
 * Builds the TLS policy the guard applies (and that adapters may consult directly). Checks every
 * option now and throws {@link ConfigInvalidError} for a bad one.
 * @example
 * const policy = createTlsPolicy({ publicOrigin: 'https://api.example', trustedProxies: ['10.0.0.0/8'] });
 * if (!policy.secure(request)) return policy.insecureAnswer(request); // 308 to https://api.example/…
 */
export function createTlsPolicy(options: TlsPolicyOptions = {}): TlsPolicy {
  refuseUnknownNestedOptions(options, TLS_POLICY_OPTION_KEYS, 'tls');
  if (options.trustedProxies !== undefined && !Array.isArray(options.trustedProxies)) {
    throw new ConfigInvalidError('tls.trustedProxies must be an array of addresses or CIDR ranges.');
  }
  const header = options.clientCertificateHeader;
  if (header !== undefined && (typeof header !== 'string' || !/^[a-z0-9-]+$/.test(header))) {
    throw new ConfigInvalidError('tls.clientCertificateHeader must be a lower-case header name.');
  }
  const trusted = createAddressMatcher(options.trustedProxies ?? []);
  const origin = checkOrigin(options.publicOrigin);
  const hsts = hstsHeader(options.hsts);
  const refusal = (message: string): HttpAnswer => toChallenge(new HttpsRequiredError(message));

  return {
    hsts,
    publicOrigin: origin,
    revokeExposedApiKeys: options.revokeExposedApiKeys === true,
    secure(request) {
      if (trusted(request.remoteAddress)) {
        const protos = forwardedProtos(request);
        if (protos.length > 0) return protos.every((proto) => proto === 'https');
      }
      return request.tls === true;
    },
    insecureAnswer(request) {
      const carriesCredential =
        request.headers('authorization').length > 0 ||
        request.headers('x-api-key').length > 0 ||
        queryCarriesCredential(request.url);
      if (carriesCredential) return refusal('This API accepts credentials over HTTPS only.');
      const path = pathAndQuery(request.url);
      if (origin === null || path === null || (request.method !== 'GET' && request.method !== 'HEAD')) {
        return refusal('This API is served over HTTPS only.');
      }
      let location: string;
      try {
        const url = new URL(origin + path);
        if (url.origin !== origin) return refusal('This API is served over HTTPS only.');
        location = url.href;
      } catch {
        return refusal('This API is served over HTTPS only.');
      }
      return { status: 308, headers: { location }, body: '' };
    },
    clientCertificate(request) {
      if (header !== undefined && trusted(request.remoteAddress))
        return forwardedClientCertificate(request, header);
      return request.clientCertificate;
    },
  };
}
