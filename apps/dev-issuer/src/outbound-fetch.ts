// The fetch oidc-provider uses for its outbound calls (here: OpenID Connect Back-Channel Logout 1.0
// §2.5, the POST of a logout token to a client). oidc-provider's own fetch refuses loopback and
// private addresses (SSRF protection), yet a dev issuer's clients are demo apps on 127.0.0.1 with
// development certificates; this fetch goes over node:https to the registered client URI, trusting
// Node's CA store plus, when given, the development CA.
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';

const TIMEOUT_MS = 5000;
const MAX_BODY_BYTES = 64 * 1024;
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * Creates a `fetch` for oidc-provider's `fetch` option: https only, 5 s timeout, no redirects followed,
 * response bodies capped at 64 KiB.
 *
 * @example
 * ```ts
 * const configuration = { fetch: createOutboundFetch(devCaPem) };
 * ```
 */
export function createOutboundFetch(ca?: string): typeof fetch {
  const trust = ca ? { ca: [...rootCertificates, ca] } : {};
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.protocol !== 'https:') {
        reject(new TypeError('dev issuer: outbound requests must use https'));
        return;
      }
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      const body = init.body === undefined || init.body === null ? undefined : String(init.body);
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const outgoing = request(url, {
        method: init.method ?? 'GET',
        headers,
        timeout: TIMEOUT_MS,
        ...trust,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      outgoing.once('timeout', () => outgoing.destroy(new Error('dev issuer: outbound request timed out')));
      outgoing.once('error', reject);
      outgoing.once('response', (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) incoming.destroy(new Error('dev issuer: outbound response too large'));
          else chunks.push(chunk);
        });
        incoming.once('error', reject);
        incoming.once('end', () => {
          const status = incoming.statusCode ?? 502;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
              responseHeaders.append(name, item);
            }
          }
          const payload = NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks);
          resolve(new Response(payload, { status, headers: responseHeaders }));
        });
      });
      outgoing.end(body);
    });
}
