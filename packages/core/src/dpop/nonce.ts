/**
 * RFC 9449 §8 resource-server nonces, stateless: a nonce is the HMAC-SHA-256 of its time window under
 * a secret, so every instance holding the secret issues and accepts the same nonces without sharing
 * state. The nonce rotates each window; the current and the previous one are accepted (§8.2).
 */
import { base64url } from 'jose';

/** Issues and checks rotating nonces. */
export interface NonceSource {
  /** The nonce of the current window. */
  current(): Promise<string>;
  /** True for the current or the previous window's nonce. */
  accepts(nonce: string): Promise<boolean>;
}

const encoder = new TextEncoder();

/** Builds the nonce source; `secret` shared by every instance, `rotateSeconds` the window length. */
export function createNonceSource(
  secret: Uint8Array,
  rotateSeconds: number,
  clock: () => number,
): NonceSource {
  const key = crypto.subtle.importKey(
    'raw',
    secret as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const made = new Map<number, Promise<string>>();
  const nonceOf = (window: number): Promise<string> => {
    let nonce = made.get(window);
    if (!nonce) {
      nonce = key
        .then((k) => crypto.subtle.sign('HMAC', k, encoder.encode(`dpop-nonce.${window}`)))
        .then((mac) => `${window.toString(36)}.${base64url.encode(new Uint8Array(mac).slice(0, 18))}`);
      made.set(window, nonce);
      for (const old of made.keys()) if (old < window - 1) made.delete(old);
    }
    return nonce;
  };
  const windowNow = () => Math.floor(clock() / 1000 / rotateSeconds);
  return {
    current: () => nonceOf(windowNow()),
    async accepts(nonce) {
      const now = windowNow();
      return nonce === (await nonceOf(now)) || nonce === (await nonceOf(now - 1));
    },
  };
}
