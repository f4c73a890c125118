/**
 * The demo apps' environment contract (DESIGN.md "The contract every demo app keeps"): one reader, so
 * the three apps accept exactly the same variables with the same defaults.
 */
import path from 'node:path';

/** Everything a demo app needs to know from its environment. */
export interface DemoConfig {
  /** HTTPS listener. */
  port: number;
  host: string;
  /** Optional plain-HTTP listener (redirects GET/HEAD, refuses credentials). */
  httpPort: number | undefined;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** External authorization server; undefined: start the dev issuer in-process. */
  issuer: string | undefined;
  audience: string;
  /** `sqlite:PATH` or `postgres://…`. */
  databaseUrl: string;
  /** Where the app keeps its SQLite file, certificates and the dev issuer's keys. */
  dataDir: string;
  /** Port of the in-process dev issuer (when `issuer` is undefined). */
  devIssuerPort: number;
  /** Access-token lifetime of the in-process dev issuer (`DEV_ISSUER_ACCESS_TOKEN_TTL`, seconds). */
  devIssuerAccessTokenTtl: number;
  /** Browser login at an external issuer: the client registered for this app (optional). */
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Certificates from an ACME CA (`TLS_ACME_*`) instead of `TLS_CERT_FILE`/`TLS_KEY_FILE`. */
  acme: DemoAcmeConfig | undefined;
  /** `RESTGUARD_API_KEY_PEPPER=ID:SECRET`: API keys hashed with HMAC-SHA256 (the CLI reads the same). */
  apiKeyPepper: { id: string; secret: string } | undefined;
  /** `REDIS_URL`: the DPoP replay cache and rate-limit counters shared by instances; undefined: memory. */
  redisUrl: string | undefined;
}

/** `TLS_ACME_*`: where and how the app obtains its certificate. */
export interface DemoAcmeConfig {
  directoryUrl: string;
  domains: string[];
  email: string | undefined;
  /** PEM file of a CA to trust for the directory (a test CA such as Pebble's). */
  caFile: string | undefined;
  challenge: 'http-01' | 'tls-alpn-01';
}

/** A configuration error: the app prints the message on one line and exits with code 2. */
export class DemoConfigError extends Error {}

function port(env: NodeJS.ProcessEnv, name: string, fallback?: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new DemoConfigError(`${name} must be a port number (0-65535), got ${JSON.stringify(raw)}`);
  }
  return value;
}

function pepper(raw: string | undefined): { id: string; secret: string } | undefined {
  if (!raw) return undefined;
  const colon = raw.indexOf(':');
  if (colon <= 0 || colon === raw.length - 1) {
    // Never echo the value: it is a secret.
    throw new DemoConfigError('RESTGUARD_API_KEY_PEPPER must be ID:SECRET');
  }
  return { id: raw.slice(0, colon), secret: raw.slice(colon + 1) };
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 10) {
    throw new DemoConfigError(
      `${name} must be a whole number of seconds (at least 10), got ${JSON.stringify(raw)}`,
    );
  }
  return Number(raw);
}

function acme(env: NodeJS.ProcessEnv, httpPort: number | undefined, certFile: string | undefined) {
  const directoryUrl = env.TLS_ACME_DIRECTORY || undefined;
  if (!directoryUrl) {
    for (const name of ['TLS_ACME_DOMAINS', 'TLS_ACME_EMAIL', 'TLS_ACME_CA_FILE', 'TLS_ACME_CHALLENGE']) {
      if (env[name]) throw new DemoConfigError(`${name} needs TLS_ACME_DIRECTORY`);
    }
    return undefined;
  }
  if (!/^https:\/\/[^/?#]+/.test(directoryUrl)) {
    throw new DemoConfigError(
      `TLS_ACME_DIRECTORY must be an https:// URL, got ${JSON.stringify(directoryUrl)}`,
    );
  }
  if (certFile)
    throw new DemoConfigError('TLS_ACME_DIRECTORY and TLS_CERT_FILE/TLS_KEY_FILE exclude each other');
  const domains = (env.TLS_ACME_DOMAINS ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d.length > 0);
  if (domains.length === 0)
    throw new DemoConfigError('TLS_ACME_DOMAINS must list the DNS names (comma-separated)');
  // The contract names four TLS_ACME_* variables: setting TLS_ACME_DIRECTORY is the operator's agreement
  // to that CA's terms of service (printed at start). TLS_ACME_AGREE_TOS=false withdraws it.
  const agreement = env.TLS_ACME_AGREE_TOS || 'true';
  if (agreement !== 'true' && agreement !== 'false') {
    throw new DemoConfigError(`TLS_ACME_AGREE_TOS must be true or false, got ${JSON.stringify(agreement)}`);
  }
  if (agreement === 'false') {
    throw new DemoConfigError(
      "TLS_ACME_AGREE_TOS=false: no certificate can be ordered without agreeing to the ACME CA's terms of service",
    );
  }
  const challenge = env.TLS_ACME_CHALLENGE || (httpPort === undefined ? 'tls-alpn-01' : 'http-01');
  if (challenge !== 'http-01' && challenge !== 'tls-alpn-01') {
    throw new DemoConfigError(
      `TLS_ACME_CHALLENGE must be http-01 or tls-alpn-01, got ${JSON.stringify(challenge)}`,
    );
  }
  if (challenge === 'http-01' && httpPort === undefined) {
    throw new DemoConfigError('TLS_ACME_CHALLENGE=http-01 needs HTTP_PORT (the CA checks port 80 there)');
  }
  return {
    directoryUrl,
    domains,
    email: env.TLS_ACME_EMAIL || undefined,
    caFile: env.TLS_ACME_CA_FILE || undefined,
    challenge,
  } satisfies DemoAcmeConfig;
}

/**
 * Reads the contract's variables. `appDir` is the app's folder (its `data/` lives there).
 * @example
 * const config = readDemoConfig(process.env, { appDir, defaultPort: 8443 });
 */
export function readDemoConfig(
  env: NodeJS.ProcessEnv,
  options: { appDir: string; defaultPort: number },
): DemoConfig {
  const dataDir = path.resolve(env.RESTGUARD_DATA_DIR || path.join(options.appDir, 'data'));
  const certFile = env.TLS_CERT_FILE || undefined;
  const keyFile = env.TLS_KEY_FILE || undefined;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new DemoConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  const issuer = env.AUTH_ISSUER || undefined;
  if (
    issuer &&
    !/^https:\/\/[^/?#]+(\/[^?#]*)?$/.test(issuer) &&
    !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(issuer)
  ) {
    throw new DemoConfigError(`AUTH_ISSUER must be an https:// URL, got ${JSON.stringify(issuer)}`);
  }
  const databaseUrl = env.DATABASE_URL || `sqlite:${path.join(dataDir, 'keys.sqlite')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new DemoConfigError('DATABASE_URL must start with sqlite: or postgres://');
  }
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new DemoConfigError('REDIS_URL must start with redis:// or rediss://');
  }
  const listenPort = port(env, 'PORT', options.defaultPort)!;
  const httpPort = port(env, 'HTTP_PORT');
  return {
    port: listenPort,
    host: env.HOST || '127.0.0.1',
    httpPort,
    tlsCertFile: certFile,
    tlsKeyFile: keyFile,
    issuer,
    audience: env.AUTH_AUDIENCE || 'https://notes.restguard.test',
    databaseUrl,
    dataDir,
    devIssuerPort: port(env, 'DEV_ISSUER_PORT', listenPort === 0 ? 0 : listenPort + 1)!,
    devIssuerAccessTokenTtl: seconds(env, 'DEV_ISSUER_ACCESS_TOKEN_TTL', 300),
    clientId: env.AUTH_CLIENT_ID || undefined,
    clientSecret: env.AUTH_CLIENT_SECRET || undefined,
    acme: acme(env, httpPort, certFile),
    apiKeyPepper: pepper(env.RESTGUARD_API_KEY_PEPPER),
    redisUrl,
  };
}
