/**
 * Credential extraction, RFC 6750 §2: the `Authorization` header (scheme case-insensitive), an API
 * key in `X-API-Key`, or a session cookie. Exactly one credential per request (§2: "MUST NOT use more
 * than one method"); tokens in the query string are refused (RFC 9700 §2.4.2; RFC 6750 §2.3 is not
 * supported); oversized credentials are refused before any cryptography.
 */
import { ApiKeyInvalidError, RequestInvalidError, TokenInvalidError } from './errors.js';
import type { AuthRequest } from './request.js';

/** Where a credential was found. */
export type CredentialSource = 'authorization' | 'x-api-key' | 'query' | 'cookie';

/** One credential, as presented. */
export interface Credential {
  readonly source: CredentialSource;
  /** The raw credential (token or key). Never log it. */
  readonly value: string;
  /** `dpop`: an `Authorization: DPoP` token (RFC 9449 §7.1), to be checked with its proof. */
  readonly scheme?: 'dpop';
}

/** Query parameters that carry credentials and are therefore refused. */
const QUERY_CREDENTIALS = ['access_token', 'api_key', 'apikey'];
/** RFC 6750 §2.1 b64token (also covers restguard API keys). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Default cap on a credential's length (bytes of the header value). */
export const DEFAULT_MAX_CREDENTIAL_LENGTH = 8192;

/**
 * True when the URL's query string carries a credential parameter.
 * @example
 * queryCarriesCredential('/api?access_token=x'); // true
 */
export function queryCarriesCredential(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const params = new URLSearchParams(url.slice(q + 1));
  return QUERY_CREDENTIALS.some((name) => params.has(name));
}

/** `scheme [value]` of an `Authorization` header (RFC 9110 §11.6.2 credentials). */
const AUTHORIZATION = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?: +(.*))?$/;

/**
 * Finds the request's single header credential (bearer or API key), or null when there is none.
 *
 * RFC 6750 §3.1, exactly:
 * - an `Authorization` scheme other than Bearer (`Basic`, `Digest`, `Negotiate`, …) is no credential
 *   of ours: null, so the guard answers the bare challenge (or anonymous under `optional`);
 * - a malformed credential value (outside the b64token alphabet, empty) is `invalid_token`:
 *   {@link TokenInvalidError} for a bearer value, {@link ApiKeyInvalidError} for `X-API-Key`;
 * - a malformed *request* is {@link RequestInvalidError} (`invalid_request`): two credentials, a
 *   token in the query string, a repeated credential header, an oversized value, a header that is no
 *   `scheme [value]` at all.
 * @example
 * const credential = extractCredential(request); // { source: 'authorization', value: 'eyJ…' }
 */
export function extractCredential(
  request: AuthRequest,
  maxLength: number = DEFAULT_MAX_CREDENTIAL_LENGTH,
  accept: { readonly dpop?: boolean } = {},
): Credential | null {
  if (queryCarriesCredential(request.url)) {
    throw new RequestInvalidError('Credentials in the query string are refused; send them in a header.');
  }
  let authorization = request.headers('authorization');
  const apiKey = request.headers('x-api-key');
  if (authorization.length === 1 && apiKey.length === 1 && foreignScheme(authorization[0]!, accept)) {
    authorization = [];
  }
  if (authorization.length + apiKey.length > 1) {
    throw new RequestInvalidError('The request carries more than one credential.');
  }
  if (apiKey.length === 1) {
    return { source: 'x-api-key', value: checkValue(apiKey[0]!.trim(), maxLength, 'x-api-key') };
  }
  if (authorization.length === 0) return null;
  const header = authorization[0]!;
  if (header.length > maxLength + 16) throw new RequestInvalidError('The credential is too large.');
  // The common case, `Bearer <b64token>` exactly: what the general path below would accept, found
  // without its scheme grammar. Anything else takes the general path (and its exact refusal).
  if (header.startsWith('Bearer ')) {
    const value = header.slice(7);
    if (value.length <= maxLength && B64TOKEN.test(value)) return { source: 'authorization', value };
  }
  const match = AUTHORIZATION.exec(header.trim());
  if (!match) throw new RequestInvalidError('The Authorization header is malformed.');
  const scheme = match[1]!.toLowerCase();
  if (accept.dpop && scheme === 'dpop') {
    // RFC 9449 §7.1: the DPoP scheme, only when the guard checks proofs; its value is a token68.
    return {
      source: 'authorization',
      scheme: 'dpop',
      value: checkValue(match[2] ?? '', maxLength, 'authorization'),
    };
  }
  // RFC 6750 §3.1: a request in another scheme carries no credential of ours.
  if (scheme !== 'bearer') return null;
  return { source: 'authorization', value: checkValue(match[2] ?? '', maxLength, 'authorization') };
}

/** True when an `Authorization` header is well-formed and in a scheme restguard does not take here. */
function foreignScheme(header: string, accept: { readonly dpop?: boolean }): boolean {
  const match = AUTHORIZATION.exec(header.trim());
  if (match === null) return false;
  const scheme = match[1]!.toLowerCase();
  return scheme !== 'bearer' && !(accept.dpop && scheme === 'dpop');
}

function checkValue(value: string, maxLength: number, source: 'authorization' | 'x-api-key'): string {
  if (value.length > maxLength) throw new RequestInvalidError('The credential is too large.');
  // A comma means two headers joined by the platform (b64token has no comma), or garbage.
  if (value.includes(',')) throw new RequestInvalidError('The request carries more than one credential.');
  if (!B64TOKEN.test(value)) {
    throw source === 'x-api-key'
      ? new ApiKeyInvalidError('The API key is malformed.')
      : new TokenInvalidError('The access token is malformed.');
  }
  return value;
}

/**
 * The value of one cookie from the `Cookie` header(s), or undefined.
 * @example
 * readCookie(request, '__Host-restguard'); // 'v1.…'
 */
export function readCookie(request: AuthRequest, name: string): string | undefined {
  for (const header of request.headers('cookie')) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}
