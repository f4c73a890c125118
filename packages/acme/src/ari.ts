/**
 * ACME Renewal Information (RFC 9773): the certificate identifier (§4.1), the RenewalInfo request
 * and object (§4.1, §4.2), the renewal time chosen inside the suggested window (§4.2) and the
 * re-polling interval taken from `Retry-After` (§4.3).
 */
import { X509Certificate } from 'node:crypto';
import { readDerChildren, readDerNode } from '@restguard/core';
import * as acme from 'acme-client';

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OID = 0x06;
const OCTET_STRING = 0x04;
const EXTENSIONS = 0xa3; // [3] EXPLICIT Extensions (RFC 5280 §4.1)
const KEY_IDENTIFIER = 0x80; // [0] IMPLICIT KeyIdentifier (RFC 5280 §4.2.1.1)
const AUTHORITY_KEY_IDENTIFIER = Buffer.from([0x55, 0x1d, 0x23]); // 2.5.29.35

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

function derOf(certificate: string | X509Certificate | Uint8Array): Uint8Array {
  if (certificate instanceof X509Certificate) return certificate.raw;
  if (certificate instanceof Uint8Array) return certificate;
  const body = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(certificate)?.[1];
  if (!body) throw new Error('not a PEM certificate');
  return Buffer.from(body.replace(/\s+/g, ''), 'base64');
}

/**
 * The ARI certificate identifier (RFC 9773 §4.1): base64url of the Authority Key Identifier's
 * `keyIdentifier`, ".", base64url of the DER serial number's content bytes (leading zero kept),
 * without padding. Throws when the certificate has no AKI `keyIdentifier`.
 * @example
 * ariCertificateId(readFileSync('cert.pem', 'utf8')); // 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'
 */
export function ariCertificateId(certificate: string | X509Certificate | Uint8Array): string {
  const der = derOf(certificate);
  const cert = readDerNode(der, 0, der.length);
  const tbs = cert.tag === SEQUENCE ? readDerChildren(der, cert)[0] : undefined;
  if (tbs?.tag !== SEQUENCE) throw new Error('not an X.509 certificate');
  const fields = readDerChildren(der, tbs);
  const serial = fields.find((field) => field.tag === INTEGER);
  if (!serial) throw new Error('the certificate has no serial number');
  let keyIdentifier: Uint8Array | undefined;
  const extensions = fields.find((field) => field.tag === EXTENSIONS);
  const list = extensions ? readDerChildren(der, extensions)[0] : undefined;
  for (const extension of list ? readDerChildren(der, list) : []) {
    const parts = readDerChildren(der, extension);
    const oid = parts[0];
    const value = parts[parts.length - 1];
    if (oid?.tag !== OID || value?.tag !== OCTET_STRING) continue;
    if (!AUTHORITY_KEY_IDENTIFIER.equals(der.subarray(oid.start, oid.end))) continue;
    const aki = readDerNode(der, value.start, value.end);
    const id = readDerChildren(der, aki).find((part) => part.tag === KEY_IDENTIFIER);
    if (id) keyIdentifier = der.subarray(id.start, id.end);
  }
  if (!keyIdentifier || keyIdentifier.length === 0) {
    throw new Error('the certificate has no Authority Key Identifier keyIdentifier');
  }
  return `${base64url(keyIdentifier)}.${base64url(der.subarray(serial.start, serial.end))}`;
}

/** A CA's renewal information for one certificate (RFC 9773 §4.2). */
export interface RenewalInfo {
  readonly suggestedWindow: { readonly start: Date; readonly end: Date };
  /** Why the window is what it is (a CA's page); give it to the operator. */
  readonly explanationURL?: string;
  /** `Retry-After` in milliseconds, when the answer had a valid one. */
  readonly retryAfterMs?: number;
}

/** `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * GETs `<renewalInfoUrl>/<id>` (unauthenticated, RFC 9773 §4.1) through acme-client's transport
 * (so a managed directory's CA and no-retry policy apply). Throws on any failure or an invalid
 * object (`end` not after `start`).
 * @example
 * const info = await fetchRenewalInfo(directory.renewalInfo, ariCertificateId(certPem));
 */
export async function fetchRenewalInfo(renewalInfoUrl: string, id: string): Promise<RenewalInfo> {
  const url = `${renewalInfoUrl.replace(/\/+$/, '')}/${id}`;
  const response = await acme.axios.get(url, {
    headers: { accept: 'application/json' },
    timeout: 10_000,
    validateStatus: () => true,
  });
  if (response.status !== 200) throw new Error(`renewalInfo answered HTTP ${response.status}`);
  const body = response.data as {
    suggestedWindow?: { start?: unknown; end?: unknown };
    explanationURL?: unknown;
  };
  const start = new Date(String(body?.suggestedWindow?.start));
  const end = new Date(String(body?.suggestedWindow?.end));
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
    throw new Error('renewalInfo has no valid suggestedWindow');
  }
  const retryAfter = response.headers['retry-after'];
  const retryAfterMs = parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined);
  return {
    suggestedWindow: { start, end },
    ...(typeof body.explanationURL === 'string' ? { explanationURL: body.explanationURL } : {}),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/**
 * A uniform random time inside the suggested window (RFC 9773 §4.2, step 2).
 * @example
 * ariRenewalTime({ start: new Date('2026-03-01'), end: new Date('2026-03-03') }); // 1–3 March
 */
export function ariRenewalTime(
  window: { readonly start: Date; readonly end: Date },
  random: () => number = Math.random,
): Date {
  const span = window.end.getTime() - window.start.getTime();
  return new Date(window.start.getTime() + Math.floor(span * random()));
}
