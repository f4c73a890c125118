/**
 * TLS material of the test issuer: its own certificate authority and a leaf certificate for
 * `127.0.0.1` / `localhost` signed by it (selfsigned 5, async API), plus a `fetch` that trusts only
 * that CA, so tests can reach the HTTPS issuer without touching the process's trust store.
 */

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { generate } from 'selfsigned';

/** PEM material of the issuer's TLS listener. */
export interface TestTlsMaterial {
  /** The CA certificate to trust (PEM). */
  readonly caPem: string;
  /** The server certificate (PEM), issued by the CA for 127.0.0.1, ::1 and localhost. */
  readonly certPem: string;
  /** The server's private key (PEM). */
  readonly keyPem: string;
}

/**
 * Generates a fresh CA and a server certificate signed by it (EC P-256, SHA-256, valid one day).
 * @example
 * const { caPem, certPem, keyPem } = await generateTestTls();
 */
export async function generateTestTls(): Promise<TestTlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 24 * 3600_000);
  const ca = await generate([{ name: 'commonName', value: 'restguard test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private };
}

/** A `fetch`-compatible function: what core's `fetch` option and openid-client's `customFetch` take. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A `fetch` over node:http / node:https that trusts exactly `caPem` for HTTPS (no system CAs) and
 * never follows redirects. Supports `method`, `headers`, a string / bytes / URLSearchParams body and
 * `signal`, which is all a token verifier needs.
 * @example
 * const fetchTrusting = createCaFetch(issuer.caPem!);
 * const res = await fetchTrusting(`${issuer.url}/.well-known/openid-configuration`);
 */
export function createCaFetch(caPem: string | undefined): FetchLike {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init.method ?? (input instanceof Request ? input.method : 'GET');
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    let body: Buffer | undefined;
    if (init.body !== undefined && init.body !== null) {
      const raw = init.body;
      if (typeof raw === 'string') body = Buffer.from(raw);
      else if (raw instanceof URLSearchParams) {
        body = Buffer.from(raw.toString());
        if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
      } else if (raw instanceof Uint8Array) body = Buffer.from(raw);
      else if (raw instanceof ArrayBuffer) body = Buffer.from(new Uint8Array(raw));
      else throw new TypeError('createCaFetch supports string, bytes and URLSearchParams bodies only.');
    }
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const plainHeaders: Record<string, string> = {};
    headers.forEach((value, name) => {
      plainHeaders[name] = value;
    });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = requestFn(url, {
        method,
        headers: plainHeaders,
        ...(url.protocol === 'https:' && caPem ? { ca: caPem } : {}),
        ...(signal ? { signal } : {}),
      });
      req.on('response', resolve);
      req.on('error', reject);
      req.end(body);
    });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', resolve);
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });
    const responseHeaders = new Headers();
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
      responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    }
    const status = res.statusCode ?? 500;
    const nullBody = status === 204 || status === 304 || method === 'HEAD';
    return new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders });
  };
}
