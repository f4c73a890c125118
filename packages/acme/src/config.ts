/**
 * Options of the ACME manager and their checks. Everything that can be known wrong before an order
 * is refused here with a {@link ConfigInvalidError} naming the option (RFC 8555 §7.3 requires the
 * terms agreement; RFC 8738 IP identifiers and wildcard names, which need DNS-01, are not offered).
 */
import { isIP } from 'node:net';
import { ConfigInvalidError } from '@restguard/core';
import type { AcmeEvent } from './events.js';
import type { AcmeStorage } from './storage.js';

/** How the CA checks control of the names: on the plain-HTTP port or on the HTTPS port. */
export type AcmeChallengeType = 'http-01' | 'tls-alpn-01';

/** Options of {@link createAcmeManager}. */
export interface AcmeOptions {
  /** The CA's ACME directory URL (RFC 8555 §7.1.1), `https:`. */
  readonly directoryUrl: string;
  /** DNS names the certificate covers (no IP addresses, no wildcards). */
  readonly domains: readonly string[];
  /** Contact address for the account (`mailto:`), recommended by every public CA. */
  readonly email?: string;
  /** Must be true: you agree to the CA's terms of service (RFC 8555 §7.3). */
  readonly termsOfServiceAgreed: boolean;
  /** Default `http-01` (needs the plain-HTTP listener on port 80); `tls-alpn-01` needs only HTTPS. */
  readonly challenge?: AcmeChallengeType;
  /** Folder for the account key, the certificate and the files the HTTPS server serves (0700/0600). */
  readonly directory: string;
  /** Where the account key and certificate persist. Default: the `directory` itself. */
  readonly storage?: AcmeStorage;
  /** PEM bundle that replaces the trusted roots when reaching the directory (a test CA). */
  readonly directoryCa?: string;
  /** Point of the certificate's lifetime at which to renew, between 0 and 1. Default 2/3. */
  readonly renewAtFraction?: number;
  /** Up to this fraction of the lifetime is taken off the renewal point at random. Default 0.05. */
  readonly renewJitterFraction?: number;
  /** Backoff after a failed order: from `minMs` (default 60 000) doubling up to `maxMs` (default 3 600 000). */
  readonly retry?: { readonly minMs?: number; readonly maxMs?: number };
  /** Emit `expiring` on failures when the certificate expires within this many ms. Default 14 days. */
  readonly warnBeforeMs?: number;
  /** Polling interval while the CA validates and issues, in ms. Default 1000. */
  readonly pollIntervalMs?: number;
  /** Receives every event (log them; restguard never writes to the console). */
  readonly onEvent?: (event: AcmeEvent) => void;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Checks one name: a fully qualified DNS name of letters, digits and hyphens (IDNs as A-labels).
 * @example
 * checkDomain('api.example.com'); // 'api.example.com'
 * checkDomain('10.0.0.1'); // throws ConfigInvalidError
 */
export function checkDomain(domain: unknown): string {
  if (typeof domain !== 'string' || domain.length === 0) {
    throw new ConfigInvalidError('domains must be non-empty strings.');
  }
  const name = domain.toLowerCase().replace(/\.$/, '');
  if (isIP(name.replace(/^\[|\]$/g, '')) !== 0) {
    throw new ConfigInvalidError(
      `domains: "${domain}" is an IP address; ACME certificates here are for DNS names.`,
    );
  }
  if (name.startsWith('*.')) {
    throw new ConfigInvalidError(`domains: "${domain}" is a wildcard, which needs DNS-01 (not supported).`);
  }
  const labels = name.split('.');
  if (name.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
    throw new ConfigInvalidError(`domains: "${domain}" is not a valid fully qualified DNS name.`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    throw new ConfigInvalidError(`domains: "${domain}" has a numeric top-level label.`);
  }
  return name;
}

/** The checked options with defaults filled in. */
export interface ResolvedAcmeOptions extends AcmeOptions {
  readonly domains: readonly string[];
  readonly challenge: AcmeChallengeType;
  readonly renewAtFraction: number;
  readonly renewJitterFraction: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly warnBeforeMs: number;
  readonly pollIntervalMs: number;
}

const fraction = (value: number | undefined, fallback: number, name: string): number => {
  const out = value ?? fallback;
  if (typeof out !== 'number' || !(out >= 0 && out < 1)) {
    throw new ConfigInvalidError(`${name} must be a number from 0 up to (not including) 1.`);
  }
  return out;
};
const positive = (value: number | undefined, fallback: number, name: string): number => {
  const out = value ?? fallback;
  if (!Number.isFinite(out) || out <= 0) throw new ConfigInvalidError(`${name} must be a positive number.`);
  return out;
};

/**
 * Checks the options (no I/O) and fills in defaults.
 * @example
 * resolveAcmeOptions({ directoryUrl, domains: ['api.example.com'], termsOfServiceAgreed: true, directory: 'data/acme' });
 */
export function resolveAcmeOptions(options: AcmeOptions): ResolvedAcmeOptions {
  let url: URL;
  try {
    url = new URL(options.directoryUrl);
  } catch {
    throw new ConfigInvalidError('directoryUrl must be the URL of the CA’s ACME directory.');
  }
  if (url.protocol !== 'https:')
    throw new ConfigInvalidError('directoryUrl must be an https: URL (RFC 8555 §6.1).');
  if (options.termsOfServiceAgreed !== true) {
    throw new ConfigInvalidError(
      "termsOfServiceAgreed must be true: the CA's terms of service must be agreed to.",
    );
  }
  if (!Array.isArray(options.domains) || options.domains.length === 0) {
    throw new ConfigInvalidError('domains must name at least one DNS name.');
  }
  const domains = [...new Set(options.domains.map(checkDomain))];
  const challenge = options.challenge ?? 'http-01';
  if (challenge !== 'http-01' && challenge !== 'tls-alpn-01') {
    throw new ConfigInvalidError('challenge must be "http-01" or "tls-alpn-01".');
  }
  if (typeof options.directory !== 'string' || options.directory.length === 0) {
    throw new ConfigInvalidError('directory must be the folder for the account key and certificates.');
  }
  if (options.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(options.email)) {
    throw new ConfigInvalidError('email must be an e-mail address.');
  }
  const renewAtFraction = fraction(options.renewAtFraction, 2 / 3, 'renewAtFraction');
  const renewJitterFraction = fraction(options.renewJitterFraction, 0.05, 'renewJitterFraction');
  if (renewJitterFraction > renewAtFraction) {
    throw new ConfigInvalidError('renewJitterFraction must not exceed renewAtFraction.');
  }
  const retryMinMs = positive(options.retry?.minMs, 60_000, 'retry.minMs');
  const retryMaxMs = Math.max(retryMinMs, positive(options.retry?.maxMs, 3_600_000, 'retry.maxMs'));
  return {
    ...options,
    domains,
    challenge,
    renewAtFraction,
    renewJitterFraction,
    retryMinMs,
    retryMaxMs,
    warnBeforeMs: positive(options.warnBeforeMs, 14 * 86_400_000, 'warnBeforeMs'),
    pollIntervalMs: positive(options.pollIntervalMs, 1000, 'pollIntervalMs'),
  };
}
