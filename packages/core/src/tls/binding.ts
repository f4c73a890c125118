/**
 * RFC 8705 §3: certificate-bound access tokens. A token whose `cnf` claim (RFC 7800 §3.1) carries
 * `x5t#S256` is accepted only over a connection presenting the certificate with that SHA-256
 * thumbprint (§3.1: base64url of the SHA-256 digest of the DER certificate). Web Crypto only.
 *
 * restguard fails closed on confirmation methods it cannot check: a token bound to a DPoP key
 * (`cnf.jkt`, RFC 9449 §6.1; §7.2 forbids accepting it as a bearer token) or to any other key is
 * refused, as is a malformed `cnf`.
 */
import { base64url } from 'jose';
import { timingSafeEqualString } from '../api-key/hash.js';
import { TokenInvalidError } from '../errors.js';

/**
 * The RFC 8705 §3.1 thumbprint of a DER certificate: base64url (no padding) of its SHA-256 digest.
 * @example
 * const cnf = { 'x5t#S256': await certificateThumbprint(certificateDer) };
 */
export async function certificateThumbprint(certificate: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', certificate as Uint8Array<ArrayBuffer>);
  return base64url.encode(new Uint8Array(digest));
}

/**
 * Checks RFC 8705 §3 certificate binding. Resolves when the claims carry no `cnf`, or when
 * `cnf["x5t#S256"]` matches the thumbprint of `certificate` (the DER client certificate of this
 * connection, from the socket or a trusted proxy). Otherwise throws {@link TokenInvalidError}
 * (401 `invalid_token`, as §3 requires), with one of restguard's fixed sentences.
 * @example
 * await checkCertificateBinding(principal.claims, policy.clientCertificate(request));
 */
export async function checkCertificateBinding(
  claims: Readonly<Record<string, unknown>>,
  certificate: Uint8Array | undefined,
): Promise<void> {
  const cnf = claims.cnf;
  if (cnf === undefined) return;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) {
    throw new TokenInvalidError('The access token has a malformed confirmation claim.');
  }
  const members = Object.keys(cnf);
  const expected = (cnf as Record<string, unknown>)['x5t#S256'];
  if (members.length !== 1 || typeof expected !== 'string' || expected.length === 0) {
    throw new TokenInvalidError('The access token is bound to a key this API cannot check.');
  }
  if (!certificate || certificate.length === 0) {
    throw new TokenInvalidError('The access token is bound to a client certificate that was not presented.');
  }
  if (!timingSafeEqualString(await certificateThumbprint(certificate), expected)) {
    throw new TokenInvalidError('The client certificate does not match the access token.');
  }
}
