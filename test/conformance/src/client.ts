/**
 * The conformance client: one request over a real socket with a raw header list (a header may
 * repeat, nothing is added but `Host`), trusting only the test CA, never reusing connections.
 */
import { type RawAnswer, sendRaw as send } from '@restguard/testing';

export type { RawAnswer };

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
  return send(new URL(request.path, origin).href, { ...request, ca });
}
