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
  type SessionRevocationList,
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

/** How long a shutdown waits for requests in flight before cutting them. */
export const SHUTDOWN_DRAIN_MS = 10_000;

/** The key store, and with PostgreSQL the ended-session list every instance shares. */
async function openStore(
  databaseUrl: string,
): Promise<{ store: ApiKeyStore; revocations?: SessionRevocationList }> {
  if (databaseUrl.startsWith('sqlite:')) {
    const { createSqliteApiKeyStore } = await import('@restguard/store-sqlite');
    const file = databaseUrl.slice('sqlite:'.length);
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return { store: createSqliteApiKeyStore({ path: file }) };
  }
  const { createPostgresApiKeyStore } = await import('@restguard/store-postgres');
  const store = createPostgresApiKeyStore({ connectionString: databaseUrl });
  return { store, revocations: store.sessionRevocations() };
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

/** The certificates this app serves: from ACME, the contract's files, or a development CA. */
interface DemoCertificates {
  acme: AcmeManager | undefined;
  /** The development CA and server certificate, when this app made them. */
  dev: Awaited<ReturnType<typeof ensureDevCertificates>> | undefined;
  certFile: string;
  keyFile: string;
}

/**
 * Certificates: from an ACME CA (TLS_ACME_*), the contract's files, or a development CA and server
 * certificate (reused; with ACME, only for the embedded dev issuer).
 */
async function prepareCertificates(config: DemoConfig): Promise<DemoCertificates> {
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
  return { acme, dev, certFile, keyFile };
}

/** The HTTPS server, listening, whose request listener is set once the app is built. */
interface ListeningHttps {
  https: ReturnType<typeof createHttpsServer>;
  port: number;
  baseUrl: string;
  /** Replaces the 503 answered while starting with the app's listener. */
  serve(listener: RequestListener): void;
}

/** Listens first (PORT=0 works): the dev issuer needs this app's real callback URL. */
async function listenHttps(config: DemoConfig, certificates: DemoCertificates): Promise<ListeningHttps> {
  let listener: RequestListener = (_req, res) => {
    res.writeHead(503, { 'retry-after': '1' }).end();
  };
  const dispatch = (req: IncomingMessage, res: ServerResponse) => listener(req, res);
  // Renewed certificate files are served without a restart (watched, and on SIGHUP).
  const https = createHttpsServer(dispatch, {
    certFile: certificates.certFile,
    keyFile: certificates.keyFile,
    reloadSignal: 'SIGHUP',
    onReload: (event) => process.stderr.write(`tls: ${JSON.stringify(event)}\n`),
  });
  await new Promise<void>((resolve, reject) => {
    https.once('error', reject);
    https.listen(config.port, config.host, () => resolve());
  });
  const port = (https.address() as { port: number }).port;
  const baseUrl = `https://${config.acme ? config.acme.domains[0] : urlHost(config.host)}:${port}`;
  return {
    https,
    port,
    baseUrl,
    serve: (appListener) => {
      listener = appListener;
    },
  };
}

/** The issuer the guard trusts, and the browser-login client when there is one. */
interface DemoIssuer {
  issuer: string;
  webClient: { clientId: string; clientSecret: string | undefined } | undefined;
  close: (() => Promise<void>) | undefined;
}

/**
 * AUTH_ISSUER (with AUTH_CLIENT_ID/AUTH_CLIENT_SECRET for browser login), else the embedded dev
 * issuer with its web client, serving this app's certificate.
 */
async function resolveIssuer(
  config: DemoConfig,
  certificates: DemoCertificates,
  site: ListeningHttps,
): Promise<DemoIssuer> {
  if (config.issuer) {
    const webClient =
      config.clientId !== undefined
        ? { clientId: config.clientId, clientSecret: config.clientSecret }
        : undefined;
    return { issuer: config.issuer, webClient, close: undefined };
  }
  // Imported only when needed: oidc-provider prints a runtime notice on Node 20 when loaded.
  const { DEV_WEB_CLIENT, startDevIssuer } = await import('@restguard/dev-issuer');
  const { dev, certFile, keyFile } = certificates;
  const { baseUrl, port } = site;
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
  return {
    issuer: started.issuer,
    webClient: { clientId: DEV_WEB_CLIENT.clientId, clientSecret: DEV_WEB_CLIENT.clientSecret },
    close: () => started.close(),
  };
}

/** The key store, migrated, with the first keys when it is empty (shown once, in the banner). */
async function openKeyStore(config: DemoConfig) {
  // Peppers are checked here, at start-up (a short secret is a configuration error). On Node.js the
  // hasher and the signature step are node:crypto by default (the same answers as Web Crypto).
  const hasher = createApiKeyHasher(config.apiKeyPepper ? { peppers: [config.apiKeyPepper] } : {});
  const { store, revocations } = await openStore(config.databaseUrl);
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
  return { hasher, store, revocations, firstKeys };
}

/**
 * Rate-limit counters: Redis when REDIS_URL is set (instances share one budget), else memory. A Redis
 * that is down fails fast (no offline queue) and the limiter fails open; authentication never does.
 * DPoP proofs are remembered in Redis too when instances share one, else in memory.
 */
function openSharedState(config: DemoConfig) {
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    : undefined;
  redis?.on('error', () => {});
  const rateLimitBackend = redis
    ? createRateLimitBackend({ store: 'redis', client: redis })
    : createRateLimitBackend({ store: 'memory' });
  const replayStore = config.redisUrl ? createRedisReplayStore({ url: config.redisUrl }) : undefined;
  return { redis, rateLimitBackend, replayStore };
}

type KeyStoreParts = Awaited<ReturnType<typeof openKeyStore>>;
type SharedState = ReturnType<typeof openSharedState>;

/** The one guard: tokens from the issuer, API keys, sessions for browser login, rate limits. */
function createDemoGuard(
  framework: DemoFramework,
  config: DemoConfig,
  baseUrl: string,
  trust: { issuer: DemoIssuer; fetch: typeof fetch },
  parts: { keys: KeyStoreParts; shared: SharedState },
): Guard {
  const { issuer, webClient } = trust.issuer;
  const { store, hasher, revocations } = parts.keys;
  const { replayStore, rateLimitBackend } = parts.shared;
  return createGuard({
    realm: 'notes',
    resourceMetadataUrl: `${baseUrl}/.well-known/oauth-protected-resource`,
    // RFC 9728: the guard serves the document at /.well-known/oauth-protected-resource.
    protectedResource: {
      resource: config.audience,
      authorizationServers: [issuer],
      // scopes_supported: the scopes the routes enforce (guard.routes), as the adapter recorded them
      resourceName: `restguard notes (${framework.name})`,
      resourceDocumentation: `${baseUrl}/docs`,
    },
    dpop: replayStore ? { replayStore } : {},
    tokens: { issuers: [{ issuer, audience: config.audience }], fetch: trust.fetch },
    apiKeys: { store, prefixes: ['rg_test', 'rg_live'], hasher },
    tls: { publicOrigin: baseUrl },
    ...(webClient
      ? {
          sessions: {
            issuer,
            ...webClient,
            baseUrl,
            secrets: config.sessionSecrets ?? [sessionSecret(config.dataDir)],
            ...(revocations ? { revocations } : {}),
            scopes: ['read', 'write'],
            resource: config.audience,
            fetch: trust.fetch,
          },
        }
      : {}),
    optional: true,
    rateLimit: { backend: rateLimitBackend, default: config.defaultRate },
  });
}

/** A public page of the site: no scopes, one 200 answer. */
function siteRoute(routePath: string, operationId: string, respond: () => DemoResponse): DemoRoute {
  return {
    method: 'GET',
    path: routePath,
    operationId,
    summary: operationId,
    scopes: null,
    responses: { '200': operationId },
    handle: respond,
  };
}

/**
 * Every route (the API and the public pages) and the OpenAPI options; the document itself comes from
 * the framework's adapter (what the guard enforces) through `publishOpenApi`.
 */
function createSite(
  framework: DemoFramework,
  config: DemoConfig,
  context: { baseUrl: string; issuer: string; caFile: string | undefined; browserLogin: boolean },
  metadata: Record<string, string> | undefined,
) {
  let openapi: Record<string, unknown> = {};
  const page = homePage({ framework: framework.name, ...context });
  const routes: DemoRoute[] = [
    ...createApiRoutes(),
    siteRoute('/', 'home', () => html(page)),
    siteRoute('/openapi.json', 'openapi', () => jsonBody(openapi)),
    siteRoute('/docs', 'docs', () => html(docsPage(openapi))),
  ];
  const openApi = demoOpenApiOptions(routes, {
    serverUrl: context.baseUrl,
    tokenEndpoint: metadata?.token_endpoint,
    authorizationEndpoint: metadata?.authorization_endpoint,
    audience: config.audience,
  });
  const publishOpenApi = (doc: Record<string, unknown>) => {
    openapi = doc;
  };
  return { routes, openApi, publishOpenApi };
}

/**
 * Plain HTTP only applies the TLS policy: redirects GET/HEAD, refuses credentials, serves nothing.
 * With ACME over HTTP-01 it also answers the CA's /.well-known/acme-challenge/ requests.
 */
async function listenPlainHttp(
  config: DemoConfig,
  guard: Guard,
  acme: AcmeManager | undefined,
): Promise<ReturnType<typeof createHttpServer> | undefined> {
  if (config.httpPort === undefined) return undefined;
  const policy = plainHttpListener(guard);
  const http = createHttpServer(acme ? acme.httpChallengeListener(policy) : policy);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.httpPort, config.host, () => resolve());
  });
  return http;
}

/** The HTTPS server, or the plain-HTTP one. */
type DemoServer = ReturnType<typeof createHttpsServer> | ReturnType<typeof createHttpServer>;

/**
 * Stops accepting and closes idle connections; requests in flight finish (for at most
 * SHUTDOWN_DRAIN_MS), then whatever is left is cut.
 */
async function drainServers(servers: readonly DemoServer[]): Promise<void> {
  const closed = Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  for (const server of servers) server.closeIdleConnections?.();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), SHUTDOWN_DRAIN_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!drained) {
    for (const server of servers) server.closeAllConnections?.();
    await closed;
  }
}

/** What a running demo closes, in order. */
interface DemoParts {
  servers: DemoServer[];
  acme: AcmeManager | undefined;
  guard: Guard;
  keys: KeyStoreParts;
  shared: SharedState;
  closeIssuer: (() => Promise<void>) | undefined;
}

/** The demo's `close()`: once, however often it is called. */
function closeOnce(parts: DemoParts): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      await drainServers(parts.servers);
      // Then pending lastUsedAt writes are flushed and the store's pool and LISTEN client closed.
      parts.acme?.close();
      await parts.guard.close();
      await parts.shared.replayStore?.close();
      await parts.keys.store.close();
      parts.shared.redis?.disconnect();
      await parts.closeIssuer?.();
    })());
}

/** The issuer's discovery document for the banner and OpenAPI (its endpoints), or undefined. */
function issuerMetadata(
  fetchImpl: typeof fetch,
  issuer: string,
): Promise<Record<string, string> | undefined> {
  return fetchImpl(`${issuer}/.well-known/openid-configuration`)
    .then((res) => (res.ok ? (res.json() as Promise<Record<string, string>>) : undefined))
    .catch(() => undefined);
}

/**
 * Starts a demo app with its embedded defaults or the contract's environment.
 * @example
 * await startDemo({ name: 'express', defaultPort: 8443, appDir, createListener });
 */
export function startDemo(
  framework: DemoFramework,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningDemo> {
  return launchDemo(framework, env, () => {});
}

/** {@link startDemo}, calling `beforeReady` with the demo just before the banner (the ready line). */
async function launchDemo(
  framework: DemoFramework,
  env: NodeJS.ProcessEnv,
  beforeReady: (demo: RunningDemo) => void,
): Promise<RunningDemo> {
  const config = readDemoConfig(env, { appDir: framework.appDir, defaultPort: framework.defaultPort });
  mkdirSync(config.dataDir, { recursive: true });
  const certificates = await prepareCertificates(config);
  const { acme, dev } = certificates;
  const site = await listenHttps(config, certificates);
  const { baseUrl, https } = site;
  const trusted = await resolveIssuer(config, certificates, site);
  const { issuer } = trusted;
  // The embedded issuer serves this app's development certificate: trust its CA for those calls.
  // An external issuer is reached with Node's CA store plus NODE_EXTRA_CA_CERTS, as the contract says.
  const fetchImpl = dev && !config.issuer ? createTrustingFetch(dev.caCertPem) : fetch;
  const metadata = await issuerMetadata(fetchImpl, issuer);
  const keys = await openKeyStore(config);
  const shared = openSharedState(config);
  const guard = createDemoGuard(
    framework,
    config,
    baseUrl,
    { issuer: trusted, fetch: fetchImpl },
    { keys, shared },
  );
  const browserLogin = trusted.webClient !== undefined;
  const { routes, openApi, publishOpenApi } = createSite(
    framework,
    config,
    { baseUrl, issuer, caFile: dev?.caFile, browserLogin },
    metadata,
  );
  site.serve(await framework.createListener({ config, guard, routes, baseUrl, openApi, publishOpenApi }));
  const http = await listenPlainHttp(config, guard, acme);
  if (acme) {
    // Before the banner: a certificate from the CA is installed (or stored and still valid).
    await acme.start(https).catch((error: unknown) => {
      throw error instanceof ConfigInvalidError ? new DemoConfigError(error.message) : error;
    });
  }
  const servers = http ? [https, http] : [https];
  const close = closeOnce({ servers, acme, guard, keys, shared, closeIssuer: trusted.close });
  const demo: RunningDemo = { baseUrl, issuer, close };
  beforeReady(demo);
  printBanner({
    framework: framework.name,
    config,
    baseUrl,
    issuer,
    embedded: !config.issuer,
    caFile: acme ? undefined : dev?.caFile,
    acme: config.acme,
    firstKeys: keys.firstKeys,
    tokenEndpoint: metadata?.token_endpoint,
    httpPort: http ? (http.address() as { port: number }).port : undefined,
  });
  return demo;
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

function printBanner(banner: BannerContext): void {
  const cacert = banner.caFile ? `--cacert ${banner.caFile} ` : '';
  const lines = [
    `restguard notes demo (${banner.framework}) listening on ${banner.baseUrl}`,
    `  issuer:    ${banner.issuer}${banner.embedded ? '  (embedded dev issuer: for development only)' : ''}`,
    `  key store: ${banner.config.databaseUrl.startsWith('sqlite:') ? banner.config.databaseUrl : 'postgres (DATABASE_URL)'}`,
    `  rate limits: ${banner.config.redisUrl ? 'redis (REDIS_URL), shared by instances' : 'in memory'}`,
  ];
  if (!banner.config.databaseUrl.startsWith('sqlite:'))
    lines.push('  sessions:  ended sessions shared through PostgreSQL (every instance refuses them at once)');
  if (banner.acme)
    lines.push(
      `  certificate: ACME (${banner.acme.challenge}) from ${banner.acme.directoryUrl} for ${banner.acme.domains.join(', ')}`,
    );
  if (banner.httpPort !== undefined)
    lines.push(`  plain HTTP on port ${banner.httpPort}: redirects GET/HEAD to HTTPS, refuses credentials`);
  if (banner.caFile) {
    lines.push(
      `  development CA: ${banner.caFile}`,
      `    trust it with: curl --cacert ${banner.caFile} …   or   NODE_EXTRA_CA_CERTS=${banner.caFile}`,
    );
  }
  const readKey = banner.firstKeys.find((first) => first.label === 'read')?.key;
  const writeKey = banner.firstKeys.find((first) => first.label === 'read+write')?.key;
  const limitedKey = banner.firstKeys.find((first) => first.label === 'limited')?.key;
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
      `  curl ${cacert}${banner.baseUrl}/api/notes -H "X-API-Key: ${readKey}"`,
      `  curl ${cacert}${banner.baseUrl}/api/notes -H "X-API-Key: ${writeKey}" -H "content-type: application/json" -d '{"text":"hello"}'`,
      `  curl ${cacert}${banner.baseUrl}/api/notes -H "X-API-Key: ${readKey}" -H "content-type: application/json" -d '{"text":"refused: read only"}'`,
    );
  } else {
    lines.push(
      '',
      `API keys were printed at first start. Create more: pnpm restguard keys create --db ${
        // a postgres:// URL may hold a password: point at the variable instead of printing it
        banner.config.databaseUrl.startsWith('sqlite:') ? banner.config.databaseUrl : '"$DATABASE_URL"'
      } --name me --permissions read,write`,
      '',
      'Try it:',
    );
  }
  if (banner.tokenEndpoint && banner.embedded) {
    lines.push(
      `  TOKEN=$(curl -s ${cacert}-u demo-machine:demo-machine-secret -d grant_type=client_credentials -d "scope=read write" -d resource=${banner.config.audience} ${banner.tokenEndpoint} | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')`,
      `  curl ${cacert}${banner.baseUrl}/api/me -H "Authorization: Bearer $TOKEN"`,
    );
  }
  lines.push(`  browser: ${banner.baseUrl}/`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Runs a demo as a program: starts it, exits with code 2 and one line on a configuration error, and
 * shuts down cleanly on SIGINT/SIGTERM (requests in flight finish, pending `lastUsedAt` writes are
 * flushed, store connections closed, exit 0); a second signal exits at once with code 1.
 * @example
 * await runDemo({ name: 'hono', defaultPort: 8643, appDir, createListener });
 */
export async function runDemo(framework: DemoFramework): Promise<void> {
  try {
    // The handlers are in place before the ready line: a signal right after it drains and exits 0.
    await launchDemo(framework, process.env, (demo) => stopOnSignals(demo));
  } catch (err) {
    const reason = causeReason(err);
    const message =
      err instanceof DemoConfigError
        ? err.message
        : `could not start: ${(err as Error).message}${reason ? ` (${reason})` : ''}`;
    process.stderr.write(`restguard demo (${framework.name}): ${message}\n`);
    process.exit(err instanceof DemoConfigError ? 2 : 1);
  }
}

/** SIGINT/SIGTERM drain and exit 0 (1 when closing fails); a second signal exits at once with 1. */
function stopOnSignals(demo: RunningDemo): void {
  let stopping = false;
  const stop = () => {
    if (stopping) {
      // A second signal: do not wait for the drain.
      process.stderr.write('restguard demo: second signal, exiting now\n');
      process.exit(1);
    }
    stopping = true;
    process.stderr.write('restguard demo: shutting down, draining requests in flight\n');
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);
}

/**
 * Why a start-up failure happened, on one line: the first message along its `cause` chain (an
 * aggregate's first error counts), with any `user:password@` or `password=…` masked, else a code.
 */
function causeReason(err: unknown): string | undefined {
  let current: unknown = (err as { cause?: unknown } | undefined)?.cause;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const { message, code, errors } = current as { message?: unknown; code?: unknown; errors?: unknown };
    if (typeof message === 'string' && message.trim() !== '') {
      const masked = message
        .replace(/\/\/[^\s/@]*@/g, '//***@')
        .replace(/(password\s*=\s*)\S+/gi, '$1***')
        // biome-ignore lint/suspicious/noControlCharactersInRegex: squeezing control characters out on purpose
        .replace(/[\u0000-\u001f\u007f]+/g, ' ')
        .trim();
      return masked.length > 200 ? `${masked.slice(0, 199)}…` : masked;
    }
    if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else if (typeof code === 'string') return code;
    else current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
