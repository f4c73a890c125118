/**
 * Events of the ACME manager, and the renewal arithmetic (RFC 8555 leaves renewal to the client;
 * renewing at two thirds of the lifetime, with jitter so many servers do not order at once, is the
 * practice of Certbot and Caddy).
 */

/** What the manager did. Never carries key material. */
export type AcmeEvent =
  | {
      readonly type: 'certificate_installed';
      /** `order`: just issued; `storage`: loaded at start-up. */
      readonly source: 'order' | 'storage';
      readonly serialNumber: string;
      readonly notAfter: Date;
      readonly domains: readonly string[];
    }
  | { readonly type: 'placeholder_installed'; readonly domains: readonly string[] }
  | { readonly type: 'renewal_scheduled'; readonly at: Date }
  | {
      readonly type: 'order_failed';
      readonly message: string;
      /** The next attempt, when the manager retries on its own. */
      readonly retryInMs?: number;
      /** The certificate still served, if any. */
      readonly notAfter?: Date;
    }
  | { readonly type: 'expiring'; readonly notAfter: Date; readonly serialNumber: string };

/**
 * When to renew a certificate valid from `notBefore` to `notAfter`: at `fraction` of its lifetime,
 * minus a random part of up to `jitterFraction` of it.
 * @example
 * renewalTime(new Date('2026-01-01'), new Date('2026-04-01'), 2 / 3, 0.05); // about 2026-03-01
 */
export function renewalTime(
  notBefore: Date,
  notAfter: Date,
  fraction: number,
  jitterFraction: number,
  random: () => number = Math.random,
): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + lifetime * fraction - lifetime * jitterFraction * random());
}

/**
 * The wait before retry number `attempt` (1, 2, …): `minMs` doubled per attempt, at most `maxMs`,
 * then 0–10 % taken off at random so instances spread out.
 * @example
 * retryDelay(3, 60_000, 3_600_000); // about 240 000
 */
export function retryDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(base * (1 - 0.1 * random()));
}
