/**
 * Client certificates for the RFC 8705 scenarios: a client CA the servers trust, the certificate a
 * token is bound to (`cnf["x5t#S256"]`, §3.1) and another one from the same CA.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDevCa, issueCertificate, type PemPair } from '@restguard/core/node';

export interface ClientCertificates {
  /** The CA file servers verify client certificates against. */
  readonly caFile: string;
  /** The certificate the bound token names. */
  readonly bound: PemPair;
  /** A valid certificate from the same CA that the token does not name (and no rule allows). */
  readonly other: PemPair;
  /** Allowed as a principal by its thumbprint, with `read`. */
  readonly reader: PemPair;
  /** Allowed as a principal by its subject (`CN=machine-writer`), with `read write`. */
  readonly writer: PemPair;
  /** Was allowed by its thumbprint; the rule is revoked. */
  readonly revoked: PemPair;
}

/** RFC 8705 §3.1: base64url of the SHA-256 of the certificate's DER. */
export function thumbprint(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('base64url');
}

export async function createClientCertificates(dir: string): Promise<ClientCertificates> {
  const ca = await createDevCa({ commonName: 'restguard conformance client CA', days: 1 });
  const [bound, other, reader, writer, revoked] = (await Promise.all(
    ['bound', 'other', 'reader', 'writer', 'revoked'].map((name) =>
      issueCertificate(ca, { usage: 'client', commonName: `machine-${name}`, days: 1 }),
    ),
  )) as [PemPair, PemPair, PemPair, PemPair, PemPair];
  const caFile = join(dir, 'client-ca.pem');
  await writeFile(caFile, ca.certPem);
  return { caFile, bound, other, reader, writer, revoked };
}
