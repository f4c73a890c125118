/**
 * Proxy headers: RFC 7239 §4 `Forwarded` (`proto` parameter, §5.4), the de-facto
 * `X-Forwarded-Proto`, and client certificates forwarded by a TLS-terminating proxy: RFC 9440 §2
 * `Client-Cert` (`:base64 DER:`), URL-encoded PEM (nginx `$ssl_client_escaped_cert`, AWS ALB),
 * Envoy's `X-Forwarded-Client-Cert` (`Cert="…"`) and bare base64 DER.
 *
 * Every reader takes the RIGHT-MOST value: it is the one appended (or set) by the proxy the request
 * came from, the only one restguard can trust. Values further left were written by whoever sent the
 * request to that proxy, possibly the client itself.
 */
import type { AuthRequest } from '../request.js';

/** Splits on `separator` outside double-quoted strings (RFC 9110 §5.6.4 quoted-string). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && char === separator) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"'))
    return trimmed.slice(1, -1).replace(/\\(.)/g, '$1');
  return trimmed;
}

/** The parameters of the right-most element of a list header (`a=1;b=2, c=3` → `{ c: '3' }`). */
function lastElementParams(values: readonly string[]): Map<string, string> | undefined {
  if (values.length === 0) return undefined;
  const elements = splitOutsideQuotes(values.join(','), ',');
  const last = elements[elements.length - 1]!;
  const params = new Map<string, string>();
  for (const pair of splitOutsideQuotes(last, ';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) params.set(pair.slice(0, eq).trim().toLowerCase(), unquote(pair.slice(eq + 1)));
  }
  return params;
}

/**
 * The protocols the nearest proxy reports, from the right-most `Forwarded` `proto` and the
 * right-most `X-Forwarded-Proto` value (lower-cased). Empty when neither header says anything.
 * @example
 * forwardedProtos(request); // ['https']
 */
export function forwardedProtos(request: AuthRequest): string[] {
  const out: string[] = [];
  const proto = lastElementParams(request.headers('forwarded'))?.get('proto');
  if (proto !== undefined) out.push(proto.toLowerCase());
  const xfp = request.headers('x-forwarded-proto');
  if (xfp.length > 0) {
    const values = xfp.join(',').split(',');
    out.push(values[values.length - 1]!.trim().toLowerCase());
  }
  return out;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function base64ToBytes(text: string): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, '');
  if (clean.length === 0 || clean.length % 4 !== 0 || !BASE64.test(clean)) return undefined;
  const binary = atob(clean);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The first certificate of a PEM text, as DER. */
function pemToDer(pem: string): Uint8Array | undefined {
  const match = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem);
  return match ? base64ToBytes(match[1]!) : undefined;
}

/** A DER certificate starts with a SEQUENCE tag; anything else is not one. */
function looksLikeDer(bytes: Uint8Array | undefined): Uint8Array | undefined {
  return bytes && bytes.length > 16 && bytes[0] === 0x30 ? bytes : undefined;
}

function decodeValue(value: string): Uint8Array | undefined {
  const trimmed = value.trim();
  // RFC 9440 §2.2: an sf-binary item, `:base64:`.
  if (trimmed.length > 2 && trimmed.startsWith(':') && trimmed.endsWith(':'))
    return looksLikeDer(base64ToBytes(trimmed.slice(1, -1)));
  if (trimmed.includes('-----BEGIN') || trimmed.includes('%2D%2D%2D%2D%2DBEGIN')) {
    let text: string;
    try {
      text = decodeURIComponent(trimmed);
    } catch {
      return undefined;
    }
    return looksLikeDer(pemToDer(text));
  }
  return looksLikeDer(base64ToBytes(trimmed));
}

/**
 * Decodes the client certificate a proxy forwarded in `header` (lower-case name). One header line
 * is expected: two lines (a client's copy next to the proxy's) are ambiguous and give undefined.
 * For `x-forwarded-client-cert` (Envoy) the right-most element's `Cert` is used.
 * @example
 * forwardedClientCertificate(request, 'x-client-cert'); // Uint8Array (DER) or undefined
 */
export function forwardedClientCertificate(request: AuthRequest, header: string): Uint8Array | undefined {
  const values = request.headers(header);
  if (header === 'x-forwarded-client-cert') {
    const cert = lastElementParams(values)?.get('cert');
    return cert === undefined ? undefined : decodeValue(cert);
  }
  if (values.length !== 1) return undefined;
  return decodeValue(values[0]!);
}
