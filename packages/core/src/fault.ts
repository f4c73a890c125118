/**
 * Why verification infrastructure failed, in words an operator can act on: an issuer mismatch with
 * both values, a DNS or TLS failure with the host, an HTTP status, a timeout, a document of the wrong
 * shape. A {@link Fault} travels as the `cause` of an `UnavailableError`, goes into the guard's
 * `rejected` events and is logged once per distinct fault as a `fault` event (level `warn`). It never
 * reaches a client: answers keep restguard's fixed sentences. It names URLs and hosts, never a
 * credential.
 */

import { ConfigInvalidError, UnavailableError } from './errors.js';

/** The kinds of fault restguard tells apart. */
export type FaultKind =
  | 'issuer_mismatch'
  | 'dns'
  | 'tls'
  | 'connection'
  | 'http_status'
  | 'timeout'
  | 'json_shape'
  | 'too_large';

/** One infrastructure fault, as data. */
export interface Fault {
  readonly kind: FaultKind;
  /** The URL that was fetched (discovery, JWKS). */
  readonly url: string;
  /** Its host. */
  readonly host: string;
  /** `http_status`: the status received. */
  readonly status?: number;
  /** `issuer_mismatch`: the configured issuer. */
  readonly expected?: string;
  /** `issuer_mismatch`: the issuer the metadata names. */
  readonly actual?: string;
  /** `dns`, `tls`, `connection`: the platform's error code (`ENOTFOUND`, `CERT_HAS_EXPIRED`, …). */
  readonly errorCode?: string;
  /** One sentence saying what went wrong and what to check. */
  readonly message: string;
}

/**
 * An error carrying a {@link Fault}: thrown where a fetch fails, kept as the `cause` of the
 * `UnavailableError` a request gets.
 * @example
 * throw new FaultError({ kind: 'http_status', url, host: new URL(url).host, status: 404, message: `${url} answered HTTP 404.` });
 */
export class FaultError extends Error {
  readonly fault: Fault;
  constructor(fault: Fault, options?: { cause?: unknown }) {
    super(fault.message, options);
    this.name = 'FaultError';
    this.fault = fault;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/**
 * Builds a {@link FaultError} for `url`.
 * @example
 * throw fault('timeout', url, { message: `${url} did not answer within 5000 ms.` });
 */
export function fault(
  kind: FaultKind,
  url: string,
  details: Partial<Omit<Fault, 'kind' | 'url' | 'host'>> & { message: string },
  cause?: unknown,
): FaultError {
  return new FaultError({ kind, url, host: hostOf(url), ...details }, { cause });
}

/**
 * The fault behind an error, looking through its `cause` chain; undefined when there is none.
 * @example
 * const why = faultOf(err); // { kind: 'issuer_mismatch', expected: 'https://idp/', actual: 'https://idp', … }
 */
export function faultOf(err: unknown): Fault | undefined {
  let current = err;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const found = (current as { fault?: unknown }).fault;
    if (typeof found === 'object' && found !== null && 'kind' in found) return found as Fault;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const TLS_CODE = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH/;

/** The platform error code of a failed `fetch` (undici keeps it in `cause`, sometimes nested). */
function errorCodeOf(err: unknown): string | undefined {
  let current = err;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_INVALID_STATE') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Classifies a rejected `fetch(url)`: DNS, TLS or connection failure, with the host and the
 * platform's code.
 * @example
 * try { await fetch(url) } catch (err) { throw fetchFault(err, url) }
 */
export function fetchFault(err: unknown, url: string): FaultError {
  const errorCode = errorCodeOf(err);
  const host = hostOf(url);
  if (errorCode && DNS_CODES.has(errorCode)) {
    return fault('dns', url, { errorCode, message: `DNS lookup of ${host} failed (${errorCode}).` }, err);
  }
  if (errorCode && TLS_CODE.test(errorCode)) {
    return fault(
      'tls',
      url,
      {
        errorCode,
        message: `TLS with ${host} failed (${errorCode}): check its certificate chain, or trust its CA with NODE_EXTRA_CA_CERTS.`,
      },
      err,
    );
  }
  const what = errorCode ?? (err instanceof Error ? err.message : 'fetch failed');
  return fault('connection', url, { errorCode, message: `Connecting to ${host} failed (${what}).` }, err);
}

/**
 * The typed error `ready()` throws for what failed at `subject` (an issuer): `ConfigInvalidError` for an
 * issuer mismatch, `UnavailableError` otherwise, each with the {@link Fault} as `fault` and in its message.
 * @example
 * throw readinessError('https://idp.example', err);
 */
export function readinessError(subject: string, err: unknown): ConfigInvalidError | UnavailableError {
  const found = faultOf(err);
  const message = `Issuer ${subject}: ${found?.message ?? 'discovery or the JWKS failed.'}`;
  return found?.kind === 'issuer_mismatch'
    ? new ConfigInvalidError(message, { cause: err, fault: found })
    : new UnavailableError(message, { cause: err, fault: found });
}
