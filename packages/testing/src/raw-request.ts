/**
 * A raw HTTP(S) client for tests: one request over a real socket with a raw header list, so a header
 * may repeat (two `Authorization` headers, the case RFC 6750 §2 forbids and Node's `req.headers`
 * hides). Nothing is added but `Host`; connections are never reused; HTTPS trusts only `ca` when given.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One request. */
export interface RawRequestOptions {
  method?: string;
  /** Header name/value pairs, sent as given and in order. */
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: string;
  /** PEM of the only CA to trust for HTTPS. */
  ca?: string;
  /** A client certificate to present (mTLS). */
  clientCertificate?: { readonly certPem: string; readonly keyPem: string };
}

/** The answer: status, lower-case headers (repeated ones as arrays), body as text. */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Sends one request with a raw header list.
 * @example
 * const answer = await sendRaw('https://127.0.0.1:8443/api/notes', {
 *   headers: [['authorization', 'Bearer a'], ['authorization', 'Bearer b']],
 *   ca: issuer.caPem,
 * });
 * answer.status; // 400 (invalid_request: two credentials)
 */
export function sendRaw(url: string, options: RawRequestOptions = {}): Promise<RawAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  // A raw header list gets no automatic Host header; HTTP/1.1 servers refuse a request without one.
  const headers = [['host', target.host], ...(options.headers ?? [])].flat();
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        headers,
        ca: options.ca,
        cert: options.clientCertificate?.certPem,
        key: options.clientCertificate?.keyPem,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
