/**
 * Development certificates: a local CA and a server certificate signed by it, generated on first
 * use, kept in a folder (private keys mode 0600, written atomically) and reused afterwards. The
 * server certificate is re-issued when missing, invalid, within 30 days of expiry or issued for
 * other hosts; the CA (and then the server certificate) when missing, invalid, near expiry, or when
 * a requested host lies outside its name constraints (the CA only vouches for local names and
 * addresses plus the hosts it was created for; see name-constraints.ts).
 * For development only: production servers load real certificates with `loadTlsCredentials`.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigInvalidError } from '../errors.js';
import { canonicalIp, parseIp } from '../tls/ip.js';
import { isPermitted } from './name-constraints.js';
import { caNameConstraints, createDevCa, issueCertificate, type PemPair, subjectAltNames } from './x509.js';

/** Options of {@link ensureDevCertificates}. */
export interface DevCertificateOptions {
  /** Names and addresses the server certificate covers. Default `['localhost', '127.0.0.1', '::1']`. */
  readonly hosts?: readonly string[];
}

/** The development CA and server certificate, as PEM and as file paths. */
export interface DevCertificates {
  readonly caCertPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA certificate to trust (`curl --cacert`, `NODE_EXTRA_CA_CERTS`). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** True when this call created or re-issued a certificate. */
  readonly generated: boolean;
}

/**
 * The default hosts of a development server certificate.
 * @example
 * await ensureDevCertificates(dir, { hosts: [...DEFAULT_DEV_HOSTS, 'notes.localhost'] });
 */
export const DEFAULT_DEV_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

const CA_DAYS = 3650;
const SERVER_DAYS = 365;
const RENEW_BEFORE_MS = 30 * 86_400_000;
const inFlight = new Map<string, Promise<DevCertificates>>();

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, text, { mode });
  await chmod(temp, mode);
  await rename(temp, path);
}

function parsePair(certPem: string | undefined, keyPem: string | undefined): X509Certificate | undefined {
  if (!certPem || !keyPem) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    const now = Date.now();
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) - now < RENEW_BEFORE_MS)
      return undefined;
    return cert;
  } catch {
    return undefined;
  }
}

/** The SAN entries of a certificate, normalised (`dns:localhost`, `ip:127.0.0.1`). */
function sanSet(names: ReadonlyArray<{ type: string; value: string }>): Set<string> {
  return new Set(
    names.map(({ type, value }) => {
      const ip = type === 'ip' ? parseIp(value) : null;
      return ip ? `ip:${canonicalIp(ip)}` : `dns:${value.toLowerCase()}`;
    }),
  );
}

function certificateSans(cert: X509Certificate): Set<string> {
  const entries = (cert.subjectAltName ?? '').split(', ').flatMap((entry) => {
    if (entry.startsWith('DNS:')) return [{ type: 'dns', value: entry.slice(4) }];
    if (entry.startsWith('IP Address:')) return [{ type: 'ip', value: entry.slice(11) }];
    return [];
  });
  return sanSet(entries);
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((value) => b.has(value));
}

/** A lock file across processes sharing the folder; a lock older than 30 s is taken as stale. */
async function withLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'dev-certificates.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      await (await open(lock, 'wx', 0o600)).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 30_000 || attempt > 300) await rm(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

async function ensure(dir: string, hosts: readonly string[]): Promise<DevCertificates> {
  const wanted = sanSet(subjectAltNames(hosts));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'dev-ca.crt');
  const caKeyFile = join(dir, 'dev-ca.key');
  const certFile = join(dir, 'dev-server.crt');
  const keyFile = join(dir, 'dev-server.key');
  return withLock(dir, async () => {
    let generated = false;
    let ca: PemPair = { certPem: (await readText(caFile)) ?? '', keyPem: (await readText(caKeyFile)) ?? '' };
    const caCert = parsePair(ca.certPem, ca.keyPem);
    const permitted = caCert?.ca ? await caNameConstraints(ca.certPem) : null;
    if (!permitted || !hosts.every((host) => isPermitted(host, permitted))) {
      const suffix = Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex');
      ca = await createDevCa({ commonName: `restguard development CA ${suffix}`, days: CA_DAYS, hosts });
      await writeAtomic(caKeyFile, ca.keyPem, 0o600);
      await writeAtomic(caFile, ca.certPem, 0o644);
      generated = true;
    }
    let server: PemPair = {
      certPem: (await readText(certFile)) ?? '',
      keyPem: (await readText(keyFile)) ?? '',
    };
    const serverCert = generated ? undefined : parsePair(server.certPem, server.keyPem);
    const issuer = new X509Certificate(ca.certPem);
    const current =
      serverCert?.checkIssued(issuer) &&
      serverCert.verify(issuer.publicKey) &&
      sameSet(certificateSans(serverCert), wanted);
    if (!current) {
      server = await issueCertificate(ca, { usage: 'server', hosts, days: SERVER_DAYS });
      await writeAtomic(keyFile, server.keyPem, 0o600);
      await writeAtomic(certFile, server.certPem, 0o644);
      generated = true;
    } else {
      await chmod(keyFile, 0o600).catch(() => undefined);
    }
    return { caCertPem: ca.certPem, ...server, caFile, certFile, keyFile, generated };
  });
}

/**
 * Returns a development CA and a server certificate signed by it, kept in `dir`: generated on the
 * first call, reused afterwards, re-issued when missing, expiring or issued for other hosts. Trust
 * the CA once (see {@link devCertificateHelp}); certificates re-issued later chain to the same CA.
 * Concurrent calls (same process or several processes) share one generation.
 * @example
 * const dev = await ensureDevCertificates('./data/tls', { hosts: ['localhost', '127.0.0.1', '::1'] });
 * const server = createHttpsServer(app, { certFile: dev.certFile, keyFile: dev.keyFile });
 * for (const line of devCertificateHelp(dev.caFile, { url: 'https://localhost:8443/healthz' })) console.log(line);
 */
export async function ensureDevCertificates(
  dir: string,
  options: DevCertificateOptions = {},
): Promise<DevCertificates> {
  const hosts = options.hosts ?? DEFAULT_DEV_HOSTS;
  if (!Array.isArray(hosts) || hosts.length === 0)
    throw new ConfigInvalidError('hosts must name at least one host.');
  const key = `${resolve(dir)}\n${hosts.join(',')}`;
  const pending = inFlight.get(key) ?? ensure(resolve(dir), hosts).finally(() => inFlight.delete(key));
  inFlight.set(key, pending);
  return pending;
}

/** POSIX shell quoting, so a path with spaces or quotes can be pasted as is. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The lines to print at start-up when serving a development certificate: where the CA is and how
 * to trust it for one command (`curl --cacert`) or for Node.js (`NODE_EXTRA_CA_CERTS`).
 * @example
 * for (const line of devCertificateHelp(dev.caFile, { url: 'https://localhost:8443/healthz' })) console.log(line);
 */
export function devCertificateHelp(caFile: string, options: { url?: string } = {}): string[] {
  const ca = shellQuote(caFile);
  const url = shellQuote(options.url ?? 'https://localhost:PORT/');
  return [
    `HTTPS uses a development certificate signed by a local CA: ${caFile}`,
    `  trust it for one request:  curl --cacert ${ca} ${url}`,
    `  trust it in Node.js:       NODE_EXTRA_CA_CERTS=${ca} node your-client.js`,
    '  For development only: in production, serve a certificate issued for your domain.',
  ];
}
