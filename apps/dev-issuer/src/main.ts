// Standalone dev issuer: `pnpm --filter ./apps/dev-issuer start` (node dist/main.js).
// Environment: PORT (default 9400), HOST (default 127.0.0.1), TLS_CERT_FILE + TLS_KEY_FILE (else a
// development certificate in the data folder), AUTH_AUDIENCE (default https://notes.restguard.test),
// DEV_ISSUER_DATA_DIR (default apps/dev-issuer/data), DEV_ISSUER_REDIRECT_URIS,
// DEV_ISSUER_POST_LOGOUT_REDIRECT_URIS, DEV_ISSUER_BACKCHANNEL_LOGOUT_URI (the web client),
// DEV_ISSUER_OPAQUE_AUDIENCES, DEV_ISSUER_ACCESS_TOKEN_TTL (seconds), DEV_ISSUER_PUBLIC_URL.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { devCertificateHelp, ensureDevCertificates } from '@restguard/core/node';
import { DEV_ISSUER_DEFAULT_PORT, type DevIssuerOptions } from './options.js';
import { startDevIssuer } from './start.js';

const env = process.env;

function list(name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function integer(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw))
    throw new TypeError(`dev issuer: ${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function originsOf(uris: readonly string[]): string[] {
  return uris.flatMap((uri) => {
    const url = URL.parse(uri);
    return url ? [`${url.origin}/`] : [];
  });
}

async function tlsOptions(
  dataDir: string,
  host: string,
): Promise<{ tls: DevIssuerOptions['tls']; caFile?: string }> {
  const certFile = env.TLS_CERT_FILE;
  const keyFile = env.TLS_KEY_FILE;
  if (certFile || keyFile) {
    if (!certFile || !keyFile)
      throw new TypeError('dev issuer: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither');
    return { tls: { certFile, keyFile } };
  }
  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', host])];
  const dev = await ensureDevCertificates(path.join(dataDir, 'tls'), { hosts });
  return { tls: { cert: dev.certPem, key: dev.keyPem, ca: dev.caCertPem }, caFile: dev.caFile };
}

async function main(): Promise<void> {
  const host = env.HOST || '127.0.0.1';
  const dataDir = path.resolve(env.DEV_ISSUER_DATA_DIR || fileURLToPath(new URL('../data', import.meta.url)));
  const { tls, caFile } = await tlsOptions(dataDir, host);
  const redirectUris = list('DEV_ISSUER_REDIRECT_URIS');
  const postLogout = list('DEV_ISSUER_POST_LOGOUT_REDIRECT_URIS');
  const backchannelLogoutUri = env.DEV_ISSUER_BACKCHANNEL_LOGOUT_URI || undefined;
  const devIssuer = await startDevIssuer({
    host,
    port: integer('PORT', DEV_ISSUER_DEFAULT_PORT),
    tls,
    dataDir,
    ...(env.AUTH_AUDIENCE ? { audience: env.AUTH_AUDIENCE } : {}),
    ...(env.DEV_ISSUER_PUBLIC_URL ? { publicUrl: env.DEV_ISSUER_PUBLIC_URL } : {}),
    accessTokenTtlSeconds: integer('DEV_ISSUER_ACCESS_TOKEN_TTL', 300),
    opaqueAudiences: list('DEV_ISSUER_OPAQUE_AUDIENCES'),
    webClient: {
      redirectUris,
      // Without an explicit list: the origin of each redirect URI, with a trailing slash.
      postLogoutRedirectUris: postLogout.length > 0 ? postLogout : originsOf(redirectUris),
      ...(backchannelLogoutUri ? { backchannelLogoutUri } : {}),
    },
  });
  console.log(`issuer: ${devIssuer.issuer}`);
  console.log(`audience: ${devIssuer.audience}`);
  if (caFile) {
    for (const line of devCertificateHelp(caFile, {
      url: `${devIssuer.issuer}/.well-known/openid-configuration`,
    })) {
      console.log(line);
    }
  }
  if (redirectUris.length === 0) {
    console.log(
      'web client demo-web has no redirect URIs: set DEV_ISSUER_REDIRECT_URIS (comma list) for browser login',
    );
  }
  console.log(
    `client credentials: curl --cacert ${caFile ?? 'CA.pem'} -u demo-machine:demo-machine-secret ` +
      `-d grant_type=client_credentials -d "scope=read write" -d resource=${devIssuer.audience} ${devIssuer.tokenEndpoint}`,
  );
  const stop = () => {
    devIssuer.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
