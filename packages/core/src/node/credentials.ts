/**
 * Loads a server certificate and private key from PEM files (RFC 7468) and checks them before a
 * server uses them: the key must match the certificate, and the certificate must be valid now.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConfigInvalidError } from '../errors.js';

/** Where the certificate files are. */
export interface TlsFiles {
  /** PEM: the server certificate, followed by any intermediates (a "full chain"). */
  readonly certFile: string;
  /** PEM: the certificate's private key (PKCS#8, PKCS#1 or SEC1; not encrypted). */
  readonly keyFile: string;
  /** PEM: CA certificates that client certificates must chain to (mTLS). Optional. */
  readonly caFile?: string;
}

/** Loaded, checked credentials, ready for `https.createServer` / `setSecureContext`. */
export interface TlsCredentials {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
  /** When the server certificate expires. */
  readonly notAfter: Date;
  /** The server certificate's SHA-256 fingerprint (hex with colons), for logs. */
  readonly fingerprint256: string;
}

function unreadable(path: string, what: string, cause: unknown): ConfigInvalidError {
  return new ConfigInvalidError(`The ${what} file ${path} cannot be read.`, { cause });
}

async function read(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw unreadable(path, what, cause);
  }
}

function readSync(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw unreadable(path, what, cause);
  }
}

/**
 * Reads and checks a certificate, its key and (optionally) a client CA bundle. Throws
 * {@link ConfigInvalidError} naming the file at fault, never the key's content: unreadable file,
 * not PEM, key not matching the certificate, certificate not yet valid or expired.
 * @example
 * const credentials = await loadTlsCredentials({ certFile: '/etc/tls/fullchain.pem', keyFile: '/etc/tls/privkey.pem' });
 * const server = https.createServer({ cert: credentials.cert, key: credentials.key, minVersion: 'TLSv1.2' }, app);
 */
export async function loadTlsCredentials(files: TlsFiles): Promise<TlsCredentials> {
  const [cert, key, ca] = await Promise.all([
    read(files.certFile, 'certificate'),
    read(files.keyFile, 'private key'),
    files.caFile === undefined ? undefined : read(files.caFile, 'CA'),
  ]);
  return checkCredentials(files, cert, key, ca);
}

/**
 * The synchronous {@link loadTlsCredentials}, for start-up code that builds a server synchronously
 * (`fastify({ https })`).
 * @example
 * const app = Fastify({ https: { ...loadTlsCredentialsSync(files), minVersion: 'TLSv1.2' } });
 */
export function loadTlsCredentialsSync(files: TlsFiles): TlsCredentials {
  const cert = readSync(files.certFile, 'certificate');
  const key = readSync(files.keyFile, 'private key');
  const ca = files.caFile === undefined ? undefined : readSync(files.caFile, 'CA');
  return checkCredentials(files, cert, key, ca);
}

function checkCredentials(
  files: TlsFiles,
  cert: string,
  key: string,
  ca: string | undefined,
): TlsCredentials {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (cause) {
    throw new ConfigInvalidError(`The certificate file ${files.certFile} holds no PEM certificate.`, {
      cause,
    });
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(key));
  } catch (cause) {
    throw new ConfigInvalidError(
      `The private key file ${files.keyFile} holds no usable (unencrypted) PEM key.`,
      {
        cause,
      },
    );
  }
  if (!matches) {
    throw new ConfigInvalidError(
      `The private key in ${files.keyFile} does not match the certificate in ${files.certFile}.`,
    );
  }
  const now = Date.now();
  const notAfter = new Date(certificate.validTo);
  if (Date.parse(certificate.validFrom) > now) {
    throw new ConfigInvalidError(`The certificate in ${files.certFile} is not valid yet.`);
  }
  if (notAfter.getTime() <= now) {
    throw new ConfigInvalidError(
      `The certificate in ${files.certFile} expired on ${notAfter.toISOString()}.`,
    );
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch (cause) {
      throw new ConfigInvalidError(`The CA file ${files.caFile} holds no PEM certificate.`, { cause });
    }
  }
  const out = { cert, key, notAfter, fingerprint256: certificate.fingerprint256 };
  return ca === undefined ? out : { ...out, ca };
}
