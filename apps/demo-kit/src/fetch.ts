/**
 * A `fetch` that trusts the system's CAs plus one extra development CA, for talking to the in-process
 * dev issuer over HTTPS. (An external issuer uses Node's CA store and NODE_EXTRA_CA_CERTS as usual.)
 */
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * @example
 * const fetch = createTrustingFetch(caPem);
 * await fetch('https://127.0.0.1:8444/.well-known/openid-configuration');
 */
export function createTrustingFetch(caPem: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, caPem] } });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}
