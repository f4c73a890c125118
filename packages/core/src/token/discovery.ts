/**
 * Authorization-server metadata discovery: OpenID Connect Discovery 1.0 §4 (`{issuer}/.well-known/
 * openid-configuration`), then RFC 8414 §3.1 (the well-known segment inserted before the issuer's
 * path). The metadata's `issuer` must equal the configured issuer exactly (RFC 8414 §3.3, OIDC
 * Discovery §4.3). Failures are 503 and retried after the backoff; a success is kept.
 */
import { fault, faultOf } from '../fault.js';
import { SingleFlight } from './backoff.js';
import { type FetchJsonOptions, fetchJson } from './fetch-json.js';

/** The metadata members restguard uses. */
export interface IssuerMetadata {
  readonly issuer: string;
  readonly jwks_uri?: string;
  readonly introspection_endpoint?: string;
}

/**
 * The two discovery locations for an issuer, in the order they are tried.
 * @example
 * discoveryUrls('https://idp.example/realms/acme');
 * // ['https://idp.example/realms/acme/.well-known/openid-configuration',
 * //  'https://idp.example/.well-known/oauth-authorization-server/realms/acme']
 */
export function discoveryUrls(issuer: string): [string, string] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  return [
    `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
}

function endpoint(value: unknown, insecure: boolean): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (insecure && url.protocol === 'http:') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the metadata loader for one issuer. */
export function createDiscovery(
  issuer: string,
  fetching: FetchJsonOptions,
  insecure: boolean,
  clock: () => number,
  backoffMs: number,
): SingleFlight<IssuerMetadata> {
  let cached: IssuerMetadata | undefined;
  const load = async (): Promise<IssuerMetadata> => {
    if (cached) return cached;
    let firstError: unknown;
    let mismatch: unknown;
    for (const url of discoveryUrls(issuer)) {
      try {
        const document = await fetchJson(url, fetching);
        if (document.issuer !== issuer) {
          const actual =
            typeof document.issuer === 'string' ? document.issuer : JSON.stringify(document.issuer);
          throw fault('issuer_mismatch', url, {
            expected: issuer,
            actual,
            message: `The metadata at ${url} names the issuer ${JSON.stringify(actual)}, not the configured ${JSON.stringify(issuer)}: issuers are compared exactly (check the trailing slash).`,
          });
        }
        cached = {
          issuer,
          jwks_uri: endpoint(document.jwks_uri, insecure),
          introspection_endpoint: endpoint(document.introspection_endpoint, insecure),
        };
        return cached;
      } catch (err) {
        if (faultOf(err)?.kind === 'issuer_mismatch') mismatch ??= err;
        firstError ??= err;
      }
    }
    // The most telling failure: a mismatch (Auth0's trailing slash) over "not found" at the other location.
    throw mismatch ?? firstError;
  };
  return new SingleFlight(load, clock, backoffMs);
}
