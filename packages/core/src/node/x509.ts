/**
 * Issues X.509 certificates (RFC 5280) for local development: a CA, and server or client
 * certificates signed by it. ECDSA P-256 with SHA-256 through Web Crypto (keys are generated and
 * exported as PKCS#8 by `crypto.subtle`, never through a Node KeyObject's JWK export, which can
 * deadlock on Node 20). Certificates carry Subject/Authority Key Identifiers (RFC 5280 §4.2.1.1-2)
 * so strict verifiers (OpenSSL `-x509_strict`, Python 3.13's default) accept them.
 *
 * `@peculiar/x509` is an optional peer dependency, imported on first use only: it pulls
 * `reflect-metadata`, which installs a global `Reflect.getMetadata`, and a security library must not
 * patch globals of an application that only imports an adapter or `@restguard/core/node`.
 */
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { ConfigInvalidError } from '../errors.js';
import { parseIp } from '../tls/ip.js';
import { nameConstraintsDer, type PermittedNames, readNameConstraints } from './name-constraints.js';

const subtle = webcrypto.subtle;

let loading: Promise<typeof X509> | undefined;

/** Loads `@peculiar/x509` on first use; a clear error when the application has not installed it. */
function loadX509(): Promise<typeof X509> {
  loading ??= import('@peculiar/x509').catch((cause: unknown) => {
    loading = undefined;
    throw new ConfigInvalidError(
      'Development certificates need the optional peer dependency @peculiar/x509: npm install @peculiar/x509',
      { cause },
    );
  });
  return loading;
}
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const NAME_CONSTRAINTS = '2.5.29.30';

/** A certificate and its private key, both PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** RFC 5280 §4.1.2.2: a positive serial number of up to 20 octets; 128 random bits here. */
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  bytes[0]! |= 0x01;
  return Buffer.from(bytes).toString('hex');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const x509 = await loadX509();
  return x509.PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  // An hour of slack for clocks that run behind (containers, VMs).
  return { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + days * DAY_MS) };
}

/** Escapes an RFC 4514 attribute value. */
function dnValue(value: string): string {
  return value.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`);
}

/**
 * Creates a development certificate authority (`cA`, path length 0, `keyCertSign`), name-constrained
 * (RFC 5280 §4.2.1.10) to local names and addresses plus `hosts`: should its key leak, it cannot
 * vouch for anyone's real web site.
 * @example
 * const ca = await createDevCa({ commonName: 'restguard development CA', days: 3650, hosts: ['dev.example.com'] });
 */
export async function createDevCa(options: {
  commonName: string;
  days: number;
  hosts?: readonly string[];
}): Promise<PemPair> {
  const x509 = await loadX509();
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: `CN=${dnValue(options.commonName)}, O=restguard development`,
      ...validity(options.days),
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.Extension(
          NAME_CONSTRAINTS,
          true,
          nameConstraintsDer(options.hosts ?? []) as Uint8Array<ArrayBuffer>,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto as Crypto),
      ],
    },
    webcrypto as Crypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/**
 * The names a CA certificate may vouch for (its name constraints), or null when it has none.
 * @example
 * const permitted = await caNameConstraints(ca.certPem); // { dns: ['localhost', …], ranges: [...] }
 */
export async function caNameConstraints(certPem: string): Promise<PermittedNames | null> {
  const x509 = await loadX509();
  const extension = new x509.X509Certificate(certPem).getExtension(NAME_CONSTRAINTS);
  return extension ? readNameConstraints(new Uint8Array(extension.value)) : null;
}

/**
 * Splits hosts into SAN entries: IP addresses (RFC 5280 iPAddress) and DNS names. Throws
 * {@link ConfigInvalidError} for anything else.
 * @example
 * subjectAltNames(['localhost', '::1']); // [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '::1' }]
 */
export function subjectAltNames(hosts: readonly string[]): Array<{ type: 'dns' | 'ip'; value: string }> {
  return hosts.map((host) => {
    if (typeof host !== 'string' || host.length === 0)
      throw new ConfigInvalidError('hosts must be non-empty strings.');
    const ip = parseIp(host);
    if (ip) return { type: 'ip' as const, value: host.replace(/^\[|\]$/g, '') };
    if (!/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(host)) {
      throw new ConfigInvalidError(`"${host}" is neither an IP address nor a DNS name.`);
    }
    return { type: 'dns' as const, value: host.toLowerCase() };
  });
}

/** What to issue: a server certificate for `hosts`, or a client certificate named `commonName`. */
export type IssueOptions =
  | { readonly usage: 'server'; readonly hosts: readonly string[]; readonly days: number }
  | { readonly usage: 'client'; readonly commonName: string; readonly days: number };

/**
 * Issues a certificate signed by a CA (PEM pair from {@link createDevCa}).
 * @example
 * const server = await issueCertificate(ca, { usage: 'server', hosts: ['localhost', '127.0.0.1'], days: 365 });
 * const client = await issueCertificate(ca, { usage: 'client', commonName: 'machine-1', days: 30 });
 */
export async function issueCertificate(ca: PemPair, options: IssueOptions): Promise<PemPair> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign'],
  );
  const keys = await newKeys();
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(
      [options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
      false,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto as Crypto),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false, webcrypto as Crypto),
  ];
  let commonName: string;
  if (options.usage === 'server') {
    const names = subjectAltNames(options.hosts);
    if (names.length === 0) throw new ConfigInvalidError('hosts must name at least one host.');
    extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
    // Clients match the SAN only. A CN that is not a DNS name keeps OpenSSL's CN-as-hostname
    // name-constraint check (applied when no dNSName SAN exists, e.g. an IP-only certificate) away.
    commonName = 'restguard development server';
  } else commonName = options.commonName;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: `CN=${dnValue(commonName)}`,
      issuer: caCert.subject,
      ...validity(options.days),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions,
    },
    webcrypto as Crypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}
