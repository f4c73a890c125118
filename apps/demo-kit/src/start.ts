/**
 * Start-up shared by the three demo apps: configuration, development certificates, the in-process dev
 * issuer, the API-key store (first keys printed once), one guard, HTTPS (+ optional plain HTTP), the
 * banner with copy-paste curl commands, and a clean shutdown that flushes the key store.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import path from 'node:path';
import type { AcmeManager } from '@restguard/acme';
import {
  type ApiKeyStore,
  ConfigInvalidError,
  createApiKey,
  createApiKeyHasher,
  createGuard,
  type Guard,
  type OpenApiDocumentOptions,
} from '@restguard/core';
import {
  createHttpsServer,
  createRateLimitBackend,
  ensureDevCertificates,
  plainHttpListener,
} from '@restguard/core/node';
import { createRedisReplayStore } from '@restguard/store-redis';
import { Redis } from 'ioredis';
import { type DemoAcmeConfig, type DemoConfig, DemoConfigError, readDemoConfig } from './config.js';
import { createTrustingFetch } from './fetch.js';
import { demoOpenApiOptions } from './openapi.js';
import { docsPage, homePage } from './pages.js';
import { createApiRoutes, type DemoResponse, type DemoRoute } from './routes.js';

/** What a framework app receives to build its request listener. */
export interface DemoKit {
  config: DemoConfig;
  /** The one guard; adapters take it as it is. */
  guard: Guard;
  /** Every route: the API (with scope requirements) and the public pages. */
  routes: DemoRoute[];
  /** `https://HOST:PORT` of this app. */
  baseUrl: string;
  /** What the adapter's OpenAPI helper takes: the descriptive base document and the OAuth 2.0 endpoints. */
  openApi: OpenApiDocumentOptions;
  /**
   * Serves this document at `/openapi.json` and `/docs`: the one the app's adapter generated from what
   * its guard enforces. Call it once the routes are declared.
   */
  publishOpenApi(doc: Record<string, unknown>): void;
}

/** One framework's demo. */
export interface DemoFramework {
  name: 'express' | 'fastify' | 'hono';
  /** The fixed HTTPS port of this app when PORT is unset. */
  defaultPort: number;
  /** The app's folder (its data/ lives there). */
  appDir: string;
  /** Builds the Node request listener that serves every route of the kit. */
  createListener(kit: DemoKit): Promise<RequestListener>;
}

/** A running demo. */
export interface RunningDemo {
  baseUrl: string;
  issuer: string;
  close(): Promise<void>;
}

/** The rate of the demo's limited key, and the default per token subject or API key. */
const DEMO_KEY_RATE = '5/min';
const DEMO_DEFAULT_RATE = '600/min';

const html = (body: string): DemoResponse => ({
  status: 200,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body,
});
const jsonBody = (value: unknown): DemoResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(value),
});
const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

async function openStore(databaseUrl: string): Promise<ApiKeyStore> {
  if (databaseUrl.startsWith('sqlite:')) {
    const { createSqliteApiKeyStore } = await import('@restguard/store-sqlite');
    const file = databaseUrl.slice('sqlite:'.length);
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return createSqliteApiKeyStore({ path: file });
  }
  const { createPostgresApiKeyStore } = await import('@restguard/store-postgres');
  return createPostgresApiKeyStore({ connectionString: databaseUrl });
}

/** The ACME manager for TLS_ACME_*: account and certificates under the data folder (0700/0600). */
async function createAcme(config: DemoConfig, acme: DemoAcmeConfig): Promise<AcmeManager> {
  const { createAcmeManager } = await import('@restguard/acme');
  process.stderr.write(
    `acme: TLS_ACME_DIRECTORY is set, so this server agrees to the terms of service of ${acme.directoryUrl}\n`,
  );
  try {
    return createAcmeManager({
      directoryUrl: acme.directoryUrl,
      domains: acme.domains,
      ...(acme.email ? { email: acme.email } : {}),
      termsOfServiceAgreed: true,
      challenge: acme.challenge,
      directory: path.join(config.dataDir, 'acme'),
      ...(acme.caFile ? { directoryCa: readFileSync(acme.caFile, 'utf8') } : {}),
      onEvent: (event) => process.stderr.write(`acme: ${JSON.stringify(event)}\n`),
    });
  } catch (error) {
    if (error instanceof ConfigInvalidError) throw new DemoConfigError(`TLS_ACME_*: ${error.message}`);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DemoConfigError(`TLS_ACME_CA_FILE cannot be read: ${acme.caFile}`);
    }
    throw error;
  }
}

/** The session-sealing secret, generated once and kept in the data folder (mode 0600). */
function sessionSecret(dataDir: string): string {
  const file = path.join(dataDir, 'session-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}

/**
 * Starts a demo app with its embedded defaults or the contract's environment.
 * @example
 * await startDemo({ name: 'express', defaultPort: 8443, appDir, createListener });
 */
export async function startDemo(
  framework: DemoFramework,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningDemo> {
  const config = readDemoConfig(env, { appDir: framework.appDir, defaultPort: framework.defaultPort });
  mkdirSync(config.dataDir, { recursive: true });

  // Certificates: from an ACME CA (TLS_ACME_*), the contract's files, or a development CA and server
  // certificate (reused; with ACME, only for the embedded dev issuer).
  const acme = config.acme ? await createAcme(config, config.acme) : undefined;
  const acmeFiles = acme ? await acme.prepare() : undefined;
  const dev =
    config.tlsCertFile || (acme && config.issuer)
      ? undefined
      : await ensureDevCertificates(path.join(config.dataDir, 'tls'), {
          hosts: [...new Set(['localhost', '127.0.0.1', '::1', config.host])],
        });
  const certFile = acmeFiles?.certFile ?? config.tlsCertFile ?? dev!.certFile;
  const keyFile = acmeFiles?.keyFile ?? config.tlsKeyFile ?? dev!.keyFile;

  // Listen first (PORT=0 works): the dev issuer needs this app's real callback URL.
  let listener: RequestListener = (_req, res) => {
    res.writeHead(503, { 'retry-after': '1' }).end();
  };
  const dispatch = (req: IncomingMessage, res: ServerResponse) => listener(req, res);
  // Renewed certificate files are served without a restart (watched, and on SIGHUP).
  const https = createHttpsServer(dispatch, {
    certFile,
    keyFile,
    reloadSignal: 'SIGHUP',
    onReload: (event) => process.stderr.write(`tls: ${JSON.stringify(event)}\n`),
  });
  await new Promise<void>((resolve, reject) => {
    https.once('error', reject);
    https.listen(config.port, config.host, () => resolve());
  });
  const port = (https.address() as { port: number }).port;
  const baseUrl = `https://${config.acme ? config.acme.domains[0] : urlHost(config.host)}:${port}`;

  let issuer = config.issuer;
  let closeIssuer: (() => Promise<void>) | undefined;
  // Browser login: the embedded issuer's web client, or AUTH_CLIENT_ID/AUTH_CLIENT_SECRET for an external one.
  let webClient =
    config.clientId !== undefined
      ? { clientId: config.clientId, clientSecret: config.clientSecret }
      : undefined;
  if (!issuer) {
    // Imported only when needed: oidc-provider prints a runtime notice on Node 20 when loaded.
    const { DEV_WEB_CLIENT, startDevIssuer } = await import('@restguard/dev-issuer');
    webClient = { clientId: DEV_WEB_CLIENT.clientId, clientSecret: DEV_WEB_CLIENT.clientSecret };
    const started = await startDevIssuer({
      host: config.host,
      port: config.port === 0 ? 0 : config.devIssuerPort,
      // The app's own certificate; `ca` lets the issuer reach this app for back-channel logout.
      tls: dev ? { certFile: dev.certFile, keyFile: dev.keyFile, ca: dev.caCertPem } : { certFile, keyFile },
      audience: config.audience,
      dataDir: path.join(config.dataDir, 'dev-issuer'),
      accessTokenTtlSeconds: config.devIssuerAccessTokenTtl,
      webClient: {
        redirectUris: [`${baseUrl}/auth/callback`, `https://localhost:${port}/auth/callback`],
        postLogoutRedirectUris: [`${baseUrl}/`, `https://localhost:${port}/`],
        backchannelLogoutUri: `${baseUrl}/auth/backchannel-logout`,
      },
    });
    issuer = started.issuer;
    closeIssuer = () => started.close();
  }
  // The embedded issuer serves this app's development certificate: trust its CA for those calls.
  // An external issuer is reached with Node's CA store plus NODE_EXTRA_CA_CERTS, as the contract says.
  const fetchImpl = dev && !config.issuer ? createTrustingFetch(dev.caCertPem) : fetch;
  const metadata = await fetchImpl(`${issuer}/.well-known/openid-configuration`)
    .then((res) => (res.ok ? (res.json() as Promise<Record<string, string>>) : undefined))
    .catch(() => undefined);

  // Peppers are checked here, at start-up (a short secret is a configuration error). On Node.js the
  // hasher and the signature step are node:crypto by default (the same answers as Web Crypto).
  const hasher = createApiKeyHasher(config.apiKeyPepper ? { peppers: [config.apiKeyPepper] } : {});
  const store = await openStore(config.databaseUrl);
  await store.migrate();
  const firstKeys: { label: string; key: string }[] = [];
  if ((await store.list({ includeRevoked: true })).length === 0) {
    for (const [label, permissions, rateLimit] of [
      ['read', ['read'], undefined],
      ['read+write', ['read', 'write'], undefined],
      ['limited', ['read'], DEMO_KEY_RATE],
    ] as const) {
      const { key } = await createApiKey(store, {
        name: `demo ${label}`,
        permissions: [...permissions],
        prefix: 'rg_test',
        hasher,
        ...(rateLimit ? { rateLimit } : {}),
      });
      firstKeys.push({ label, key });
    }
  }

  // Rate-limit counters: Redis when REDIS_URL is set (instances share one budget), else memory. A Redis
  // that is down fails fast (no offline queue) and the limiter fails open; authentication never does.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    : undefined;
  redis?.on('error', () => {});
  const rateLimitBackend = redis
    ? createRateLimitBackend({ store: 'redis', client: redis })
    : createRateLimitBackend({ store: 'memory' });

  const resourceMetadataUrl = `${baseUrl}/.well-known/oauth-protected-resource`;
  // DPoP proofs are remembered in Redis when instances share one (REDIS_URL), else in memory.
  const replayStore = config.redisUrl ? createRedisReplayStore({ url: config.redisUrl }) : undefined;
  const guard = createGuard({
    realm: 'notes',
    resourceMetadataUrl,
    // RFC 9728: the guard serves the document at /.well-known/oauth-protected-resource.
    protectedResource: {
      resource: config.audience,
      authorizationServers: [issuer],
      // scopes_supported: the scopes the routes enforce (guard.routes), as the adapter recorded them
      resourceName: `restguard notes (${framework.name})`,
      resourceDocumentation: `${baseUrl}/docs`,
    },
    dpop: replayStore ? { replayStore } : {},
    tokens: {
      issuers: [{ issuer, audience: config.audience }],
      fetch: fetchImpl,
    },
    apiKeys: { store, prefixes: ['rg_test', 'rg_live'], hasher },
    tls: { publicOrigin: baseUrl },
    ...(webClient
      ? {
          sessions: {
            issuer,
            ...webClient,
            baseUrl,
            secrets: [sessionSecret(config.dataDir)],
            scopes: ['read', 'write'],
            resource: config.audience,
            fetch: fetchImpl,
          },
        }
      : {}),
    optional: true,
    rateLimit: {
      backend: rateLimitBackend,
      default: DEMO_DEFAULT_RATE,
    },
  });

  const apiRoutes = createApiRoutes();
  // The OpenAPI document comes from the framework's adapter (what the guard enforces), published below.
  let openapi: Record<string, unknown> = {};
  const page = homePage({
    framework: framework.name,
    baseUrl,
    issuer,
    caFile: dev?.caFile,
    browserLogin: webClient !== undefined,
  });
  const siteRoute = (p: string, operationId: string, respond: () => DemoResponse): DemoRoute => ({
    method: 'GET',
    path: p,
    operationId,
    summary: operationId,
    scopes: null,
    responses: { '200': operationId },
    handle: respond,
  });
  const routes: DemoRoute[] = [
    ...apiRoutes,
    siteRoute('/', 'home', () => html(page)),
    siteRoute('/openapi.json', 'openapi', () => jsonBody(openapi)),
    siteRoute('/docs', 'docs', () => html(docsPage(openapi))),
  ];
  const openApi = demoOpenApiOptions(routes, {
    serverUrl: baseUrl,
    tokenEndpoint: metadata?.token_endpoint,
    authorizationEndpoint: metadata?.authorization_endpoint,
    audience: config.audience,
  });
  const publishOpenApi = (doc: Record<string, unknown>) => {
    openapi = doc;
  };
  listener = await framework.createListener({ config, guard, routes, baseUrl, openApi, publishOpenApi });

  let http: ReturnType<typeof createHttpServer> | undefined;
  if (config.httpPort !== undefined) {
    // Plain HTTP only applies the TLS policy: redirects GET/HEAD, refuses credentials, serves nothing.
    // With ACME over HTTP-01 it also answers the CA's /.well-known/acme-challenge/ requests.
    const policy = plainHttpListener(guard);
    http = createHttpServer(acme ? acme.httpChallengeListener(policy) : policy);
    await new Promise<void>((resolve, reject) => {
      http!.once('error', reject);
      http!.listen(config.httpPort, config.host, () => resolve());
    });
  }

  if (acme) {
    // Before the banner: a certificate from the CA is installed (or stored and still valid).
    await acme.start(https).catch((error: unknown) => {
      throw error instanceof ConfigInvalidError ? new DemoConfigError(error.message) : error;
    });
  }

  printBanner({
    framework: framework.name,
    config,
    baseUrl,
    issuer,
    embedded: !config.issuer,
    caFile: acme ? undefined : dev?.caFile,
    acme: config.acme,
    firstKeys,
    tokenEndpoint: metadata?.token_endpoint,
    httpPort: http ? (http.address() as { port: number }).port : undefined,
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      https.closeAllConnections?.();
      http?.closeAllConnections?.();
      await Promise.all([
        new Promise((r) => https.close(r)),
        http ? new Promise((r) => http!.close(r)) : undefined,
      ]);
      acme?.close();
      await guard.close();
      await replayStore?.close();
      await store.close();
      redis?.disconnect();
      await closeIssuer?.();
    })());
  return { baseUrl, issuer, close };
}

interface BannerContext {
  framework: string;
  config: DemoConfig;
  baseUrl: string;
  issuer: string;
  embedded: boolean;
  caFile: string | undefined;
  firstKeys: { label: string; key: string }[];
  tokenEndpoint: string | undefined;
  httpPort: number | undefined;
  acme: DemoConfig['acme'];
}

function printBanner(c: BannerContext): void {
  const cacert = c.caFile ? `--cacert ${c.caFile} ` : '';
  const lines = [
    `restguard notes demo (${c.framework}) listening on ${c.baseUrl}`,
    `  issuer:    ${c.issuer}${c.embedded ? '  (embedded dev issuer: for development only)' : ''}`,
    `  key store: ${c.config.databaseUrl.startsWith('sqlite:') ? c.config.databaseUrl : 'postgres (DATABASE_URL)'}`,
    `  rate limits: ${c.config.redisUrl ? 'redis (REDIS_URL), shared by instances' : 'in memory'}`,
  ];
  if (c.acme)
    lines.push(
      `  certificate: ACME (${c.acme.challenge}) from ${c.acme.directoryUrl} for ${c.acme.domains.join(', ')}`,
    );
  if (c.httpPort !== undefined)
    lines.push(`  plain HTTP on port ${c.httpPort}: redirects GET/HEAD to HTTPS, refuses credentials`);
  if (c.caFile) {
    lines.push(
      `  development CA: ${c.caFile}`,
      `    trust it with: curl --cacert ${c.caFile} …   or   NODE_EXTRA_CA_CERTS=${c.caFile}`,
    );
  }
  const readKey = c.firstKeys.find((k) => k.label === 'read')?.key;
  const writeKey = c.firstKeys.find((k) => k.label === 'read+write')?.key;
  const limitedKey = c.firstKeys.find((k) => k.label === 'limited')?.key;
  if (readKey && writeKey) {
    lines.push(
      '',
      'API keys (shown once, now: only their hashes are stored):',
      `  read:       ${readKey}`,
      `  read+write: ${writeKey}`,
      ...(limitedKey
        ? [`  limited:    ${limitedKey}  (read, ${DEMO_KEY_RATE}: then 429 with Retry-After)`]
        : []),
      '',
      'Try it:',
      `  curl ${cacert}${c.baseUrl}/api/notes -H "X-API-Key: ${readKey}"`,
      `  curl ${cacert}${c.baseUrl}/api/notes -H "X-API-Key: ${writeKey}" -H "content-type: application/json" -d '{"text":"hello"}'`,
      `  curl ${cacert}${c.baseUrl}/api/notes -H "X-API-Key: ${readKey}" -H "content-type: application/json" -d '{"text":"refused: read only"}'`,
    );
  } else {
    lines.push(
      '',
      `API keys were printed at first start. Create more: pnpm restguard keys create --db ${c.config.databaseUrl} --name me --permissions read,write`,
      '',
      'Try it:',
    );
  }
  if (c.tokenEndpoint && c.embedded) {
    lines.push(
      `  TOKEN=$(curl -s ${cacert}-u demo-machine:demo-machine-secret -d grant_type=client_credentials -d "scope=read write" -d resource=${c.config.audience} ${c.tokenEndpoint} | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')`,
      `  curl ${cacert}${c.baseUrl}/api/me -H "Authorization: Bearer $TOKEN"`,
    );
  }
  lines.push(`  browser: ${c.baseUrl}/`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Runs a demo as a program: starts it, exits with code 2 and one line on a configuration error, and
 * shuts down cleanly on SIGINT/SIGTERM.
 * @example
 * await runDemo({ name: 'hono', defaultPort: 8643, appDir, createListener });
 */
export async function runDemo(framework: DemoFramework): Promise<void> {
  try {
    const demo = await startDemo(framework);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        demo.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  } catch (err) {
    const message =
      err instanceof DemoConfigError ? err.message : `could not start: ${(err as Error).message}`;
    process.stderr.write(`restguard demo (${framework.name}): ${message}\n`);
    process.exit(err instanceof DemoConfigError ? 2 : 1);
  }
}
