/**
 * The conformance client: one request over a real socket with a raw header list (a header may
 * repeat, nothing is added but `Host`), trusting only the test CA, never reusing connections.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RawAnswer {
  readonly status: number;
  /** Lower-case header names; repeated headers as arrays (`set-cookie`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface RawRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: string;
  /** A client certificate to present (mTLS). */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string };
}

export function sendRaw(origin: string, request: RawRequest, ca: string): Promise<RawAnswer> {
  const target = new URL(request.path, origin);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = [['host', target.host], ...request.headers].flat();
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: request.method,
        headers,
        ca,
        cert: request.clientCertificate?.certPem,
        key: request.clientCertificate?.keyPem,
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
    req.end(request.body);
  });
}
