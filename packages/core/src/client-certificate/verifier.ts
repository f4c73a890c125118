/**
 * Turns a verified client certificate into a principal (kind `clientCertificate`) through the rules
 * in a {@link ClientCertificateStore}. The most specific rule wins: thumbprint, then SAN, then
 * subject. A certificate no active rule allows is refused like a bad credential (401
 * `invalid_token`); a store that fails is 503, never a pass. The TLS layer has already verified the
 * certificate chain and the client's key: only certificates the server verified reach here.
 */
import { TokenInvalidError, UnavailableError } from '../errors.js';
import { freezePrincipal, type Principal } from '../principal.js';
import { certificateThumbprint } from '../tls/binding.js';
import { readCertificateNames } from './der.js';
import type { ClientCertificateMatch, ClientCertificateStore } from './store.js';

/** Options for client-certificate principals. */
export interface ClientCertificateOptions {
  /** Where the allowed certificates and their permissions live. */
  store: ClientCertificateStore;
}

/** Checks client certificates against a store. */
export interface ClientCertificateVerifier {
  /** The principal of a verified client certificate (DER), or throws a restguard error. */
  verify(certificate: Uint8Array): Promise<Principal>;
}

const ORDER: readonly ClientCertificateMatch[] = ['thumbprint', 'san', 'subject'];

/**
 * Creates the verifier the guard uses for `clientCertificates`.
 * @example
 * const verifier = createClientCertificateVerifier({ store });
 * const principal = await verifier.verify(der); // { kind: 'clientCertificate', subject: 'billing', … }
 */
export function createClientCertificateVerifier(
  options: ClientCertificateOptions,
): ClientCertificateVerifier {
  return {
    async verify(certificate) {
      let names: ReturnType<typeof readCertificateNames>;
      try {
        names = readCertificateNames(certificate);
      } catch {
        throw new TokenInvalidError('The client certificate cannot be read.');
      }
      const thumbprint = await certificateThumbprint(certificate);
      const keys = [
        { match: 'thumbprint' as const, value: thumbprint },
        ...names.subjectAltNames.map((value) => ({ match: 'san' as const, value })),
        { match: 'subject' as const, value: names.subject },
      ];
      let rules: Awaited<ReturnType<ClientCertificateStore['findActive']>>;
      try {
        rules = await options.store.findActive(keys);
      } catch (cause) {
        throw new UnavailableError('The client-certificate store is unavailable.', { cause });
      }
      const rule = rules.sort((a, b) => ORDER.indexOf(a.match) - ORDER.indexOf(b.match))[0];
      if (!rule) throw new TokenInvalidError('The client certificate is not allowed.');
      return freezePrincipal({
        kind: 'clientCertificate' as const,
        subject: rule.name,
        scopes: new Set(rule.permissions),
        clientCertificate: {
          ruleId: rule.id,
          match: rule.match,
          thumbprint,
          subject: names.subject,
          subjectAltNames: names.subjectAltNames,
        },
      });
    },
  };
}
