// OWNER: TLS helper. Placeholder contract; replace with the real implementation.
import { ConfigInvalidError, type HttpAnswer } from '../errors.js';
import type { AuthRequest } from '../request.js';

/** TLS policy options (trusted proxies, public origin, HSTS, exposed-key revocation). */
export interface TlsPolicyOptions {
  [key: string]: unknown;
}

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
}

export function createTlsPolicy(_options: TlsPolicyOptions): TlsPolicy {
  throw new ConfigInvalidError('tls policy: not implemented yet');
}

/** RFC 8705 §3: a token with `cnf["x5t#S256"]` needs that certificate on the connection. */
export async function checkCertificateBinding(_claims: Record<string, unknown>, _cert: Uint8Array | undefined): Promise<void> {
  throw new ConfigInvalidError('certificate binding: not implemented yet');
}
