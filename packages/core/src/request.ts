/**
 * The request shape an adapter hands to core. It is deliberately small and framework-free, and it
 * carries every raw value of a header: Node's `req.headers` keeps only the first `Authorization`
 * header and comma-joins others, which would hide a second credential (RFC 6750 §2: one method only).
 */

/** What core needs to know about one HTTP request. */
export interface AuthRequest {
  /** Upper-case method, e.g. `GET`. */
  readonly method: string;
  /** The request target as received: path plus query string (`/api/notes?x=1`). */
  readonly url: string;
  /**
   * Every raw value of a header, in arrival order, for a lower-case name; `[]` when absent.
   * Adapters build this from `rawHeaders` (Node) so repeated headers stay separate.
   */
  readonly headers: (name: string) => readonly string[];
  /** True when this connection itself is TLS (not what a proxy header claims). */
  readonly tls: boolean;
  /** The immediate peer's address, used only to decide whether it is a trusted proxy. */
  readonly remoteAddress?: string;
  /** The client certificate presented on this TLS connection (DER), for mTLS and RFC 8705. */
  readonly clientCertificate?: Uint8Array;
  /** Reads the request body as text (form posts such as back-channel logout). Optional. */
  readonly body?: () => Promise<string>;
}

/**
 * The first value of a header, or undefined.
 * @example
 * const host = firstHeader(request, 'host');
 */
export function firstHeader(request: AuthRequest, name: string): string | undefined {
  return request.headers(name)[0];
}

const NO_VALUES: readonly string[] = Object.freeze([]);

/**
 * Builds an {@link AuthRequest} header getter from Node-style raw headers (`[name, value, …]`).
 * Pure data in, no Node types: usable by any adapter. Each lookup scans the (short) list, comparing
 * names of the same length case-insensitively: core asks for two or three headers per request, so
 * this is cheaper than indexing them all.
 * @example
 * const headers = headersFromRaw(req.rawHeaders);
 * headers('authorization'); // ['Bearer …']
 */
export function headersFromRaw(raw: readonly string[]): (name: string) => readonly string[] {
  return (name) => {
    let found: string[] | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = raw[i]!;
      if (key.length === name.length && (key === name || key.toLowerCase() === name)) {
        if (found) found.push(raw[i + 1]!);
        else found = [raw[i + 1]!];
      }
    }
    return found ?? NO_VALUES;
  };
}

/**
 * Builds a header getter from a Web `Headers` object. `Headers` joins repeated values with `, `, so
 * a repeated header can only be detected where a value cannot contain a comma (a bearer token
 * cannot: RFC 6750 §2.1 b68token); core checks that. `set-cookie` is kept apart by the platform.
 * @example
 * const headers = headersFromWeb(new Headers({ authorization: 'Bearer x' }));
 */
export function headersFromWeb(headers: Headers): (name: string) => readonly string[] {
  return (name) => {
    const value = headers.get(name);
    return value === null ? [] : [value];
  };
}
