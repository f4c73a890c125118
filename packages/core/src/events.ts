import type { CredentialSource } from './credentials.js';
import type { RestguardErrorCode } from './errors.js';
import type { Fault } from './fault.js';
import type { PrincipalKind } from './principal.js';

/**
 * Observability events. They never carry a credential: only reason codes, kinds, subjects and the
 * request's method and path (without its query string, which could hold a token).
 */
export type AuthEvent =
  | { type: 'authenticated'; kind: PrincipalKind; subject: string; method: string; path: string }
  | {
      type: 'rejected';
      code: RestguardErrorCode;
      status: number;
      /** Where the refused credential came from, if there was one. */
      source?: CredentialSource;
      /**
       * Why infrastructure failed (a 503): issuer mismatch with both values, DNS or TLS failure with
       * the host, HTTP status, timeout, JSON shape. For operators only; clients never see it.
       */
      cause?: Fault;
      method: string;
      path: string;
    }
  | {
      /**
       * A configuration or infrastructure fault, logged once per distinct fault (kind, URL, status,
       * values) at `warn`, the first time a request meets it.
       */
      type: 'fault';
      level: 'warn';
      fault: Fault;
      /** The fault's sentence, ready for a log line. */
      message: string;
    }
  | {
      /** A credential arrived over plain HTTP and may have been seen on the wire. */
      type: 'credential_exposed';
      source: CredentialSource;
      /** The restguard-managed API key that was exposed, when the credential was one of ours. */
      apiKeyId?: string;
      /** True when restguard revoked that key (opt-in: `tls.revokeExposedApiKeys`). */
      revoked?: boolean;
      method: string;
      path: string;
    }
  | {
      /**
       * The rate limiter's store failed; `policy` says what was done: `allow` (the limiter failed open
       * for this request; authentication did not) or `deny` (503).
       */
      type: 'rate_limit_unavailable';
      policy: 'allow' | 'deny';
      method: string;
      path: string;
    };

/** Receives {@link AuthEvent}s. Must not throw; exceptions are swallowed. */
export type AuthEventListener = (event: AuthEvent) => void;

/** The path of a request target, without its query string. */
export function pathOf(url: string): string {
  const queryAt = url.indexOf('?');
  return queryAt < 0 ? url : url.slice(0, queryAt);
}
