/**
 * `createTestIssuer`: a local OAuth 2.0 / OpenID Connect issuer for tests, served over a real
 * loopback socket (plain HTTP or HTTPS with its own CA). Discovery per OpenID Connect Discovery 1.0
 * §4 and RFC 8414 §3, JWKS per RFC 7517 §5, introspection per RFC 7662 §2, tokens per RFC 9068 §2.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { KeyRing, TEST_ALGORITHMS, type TestAlgorithm, type TestKey } from './keys.js';
import {
  accessTokenClaims,
  type BadTokens,
  badTokens,
  type MintClaims,
  type MintContext,
  type MintOptions,
  merge,
  signToken,
} from './mint.js';
import { createHandler, type EndpointMode, type RequestCounts, type TestEndpoint } from './server.js';
import { createCaFetch, type FetchLike, generateTestTls, type TestTlsMaterial } from './tls.js';

/** Options of {@link createTestIssuer}; every one has a default. */
export interface TestIssuerOptions {
  /** Serve HTTPS with a freshly generated CA (see `caPem`). Default false: plain HTTP on loopback. */
  https?: boolean;
  /** Path of the issuer identifier, e.g. `/realms/acme`. Default none. */
  pathPrefix?: string;
  /** Listen address. Default `127.0.0.1`. */
  host?: string;
  /** Port. Default 0 (a free port). */
  port?: number;
  /** The `aud` of minted access tokens and introspection answers. Default `https://api.restguard.test`. */
  audience?: string;
  /** Key pairs to generate. Default all: RS256, PS256, ES256, EdDSA (Ed25519). */
  algorithms?: TestAlgorithm[];
  /** Algorithm `mint` signs with by default. Default `RS256` (or the first of `algorithms`). */
  defaultAlgorithm?: TestAlgorithm;
  /** The introspection client (and the default `client_id` claim). Default `restguard-test` / `restguard-test-secret`. */
  client?: { clientId: string; clientSecret: string };
  /** Default `sub`. Default `alice`. */
  subject?: string;
  /** Default `scope`. Default `read`. */
  scope?: string;
  /** Default token lifetime. Default 300 s. */
  tokenLifetimeSeconds?: number;
  /** Which metadata documents to serve. Default both. */
  wellKnown?: Array<'openid-configuration' | 'oauth-authorization-server'>;
}

/** A running test issuer. Create with {@link createTestIssuer}; always `close()` it. */
export interface TestIssuer {
  /** The issuer identifier: origin plus `pathPrefix`, no trailing slash (e.g. `http://127.0.0.1:41234/realms/acme`). */
  readonly url: string;
  /** `http(s)://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly jwksUri: string;
  readonly introspectionEndpoint: string;
  /** `{url}/.well-known/openid-configuration`. */
  readonly openidConfigurationUrl: string;
  /** RFC 8414 location: `{origin}/.well-known/oauth-authorization-server{pathPrefix}`. */
  readonly oauthMetadataUrl: string;
  readonly audience: string;
  readonly client: { readonly clientId: string; readonly clientSecret: string };
  /** The CA certificate (PEM) to trust for the HTTPS issuer; undefined over plain HTTP. */
  readonly caPem: string | undefined;
  /** A `fetch` that trusts exactly this issuer's CA (plain fetch semantics over HTTP). */
  readonly fetch: FetchLike;
  /**
   * Writes `caPem` to a temporary file (once) and returns its path, for `NODE_EXTRA_CA_CERTS` of a
   * child process; removed on `close()`. Throws for a plain-HTTP issuer.
   */
  caFile(): Promise<string>;
  /** Live request counters per endpoint. */
  readonly requests: Readonly<RequestCounts>;
  /** Zeroes the request counters. */
  resetRequests(): void;
  /** Mints a signed RFC 9068 access token; `claims` override the defaults (`undefined` deletes one). */
  mint(claims?: MintClaims, options?: MintOptions): Promise<string>;
  /**
   * Mints an opaque (non-JWT) token known to `/introspect`; `claims` override the introspection answer
   * (even `active`, to imitate a misbehaving server).
   */
  mintOpaque(claims?: MintClaims): string;
  /** Makes an opaque token inactive (`{"active": false}`). */
  revokeOpaque(token: string): void;
  /** Deliberately bad tokens (RFC 8725 §2 attack families). */
  readonly bad: BadTokens;
  /** The current key of an algorithm (default: `defaultAlgorithm`). */
  currentKey(alg?: TestAlgorithm): TestKey;
  /** Adds a new current key; the old one stays in the JWKS unless `keepPrevious: false`. */
  rotate(options?: { alg?: TestAlgorithm; keepPrevious?: boolean }): Promise<TestKey>;
  /** The JWK Set as served. */
  jwks(): { keys: JWK[] };
  /** Extra raw JWKs served after the real keys (e.g. `oct`, `use: "enc"`, 1024-bit RSA). */
  setExtraKeys(keys: JWK[]): void;
  /** Overrides members of the metadata documents (e.g. `{ issuer: 'https://evil' }`); `{}` resets. */
  setMetadata(overrides: Record<string, unknown>): void;
  /** Outage switch for some endpoints (default all). */
  setMode(mode: EndpointMode, endpoints?: TestEndpoint | TestEndpoint[]): void;
  /** Adds latency before answering (default all endpoints). */
  setLatency(ms: number, endpoints?: TestEndpoint | TestEndpoint[]): void;
  /** Stops the server, ending hanging requests and open connections. */
  close(): Promise<void>;
}

const ALL: TestEndpoint[] = ['discovery', 'jwks', 'introspection'];
const list = (endpoints?: TestEndpoint | TestEndpoint[]) =>
  endpoints === undefined ? ALL : Array.isArray(endpoints) ? endpoints : [endpoints];

/** The options with their defaults filled in. */
interface ResolvedOptions {
  algorithms: TestAlgorithm[];
  defaultAlgorithm: TestAlgorithm;
  pathPrefix: string;
  client: { clientId: string; clientSecret: string };
}

/** The issuer's live, switchable state, shared by its endpoints and its methods. */
interface IssuerState {
  readonly keys: KeyRing;
  readonly counts: RequestCounts;
  readonly modes: Record<TestEndpoint, EndpointMode>;
  readonly latencyMs: Record<TestEndpoint, number>;
  readonly hanging: Set<ServerResponse>;
  readonly opaque: Map<string, Record<string, unknown>>;
  metadataOverrides: Record<string, unknown>;
  /** The issuer identifier, known once the server listens. */
  url: string;
}

function resolveOptions(options: TestIssuerOptions): ResolvedOptions {
  const algorithms = options.algorithms ?? [...TEST_ALGORITHMS];
  const defaultAlgorithm =
    options.defaultAlgorithm ?? (algorithms.includes('RS256') ? 'RS256' : algorithms[0]!);
  const pathPrefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  if (pathPrefix && !pathPrefix.startsWith('/')) throw new Error('pathPrefix must start with "/".');
  const client = options.client ?? { clientId: 'restguard-test', clientSecret: 'restguard-test-secret' };
  return { algorithms, defaultAlgorithm, pathPrefix, client };
}

function createIssuerState(keys: KeyRing): IssuerState {
  return {
    keys,
    counts: { openidConfiguration: 0, oauthAuthorizationServer: 0, jwks: 0, introspection: 0, other: 0 },
    modes: { discovery: 'ok', jwks: 'ok', introspection: 'ok' },
    latencyMs: { discovery: 0, jwks: 0, introspection: 0 },
    hanging: new Set<ServerResponse>(),
    opaque: new Map<string, Record<string, unknown>>(),
    metadataOverrides: {},
    url: '',
  };
}

/** The request listener serving discovery, JWKS and introspection from the live state. */
function createIssuerHandler(state: IssuerState, resolved: ResolvedOptions, options: TestIssuerOptions) {
  return createHandler({
    pathPrefix: resolved.pathPrefix,
    modes: state.modes,
    latencyMs: state.latencyMs,
    counts: state.counts,
    hanging: state.hanging,
    client: resolved.client,
    wellKnown: new Set(options.wellKnown ?? ['openid-configuration', 'oauth-authorization-server']),
    jwks: () => state.keys.jwks(),
    metadata: () => ({
      issuer: state.url,
      jwks_uri: `${state.url}/jwks`,
      introspection_endpoint: `${state.url}/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: resolved.algorithms,
      ...state.metadataOverrides,
    }),
    // unknown or revoked: the bare RFC 7662 §2.2 answer; otherwise exactly what was minted
    introspect: (token) => state.opaque.get(token) ?? { active: false },
  });
}

/** Listens on `host:port` and returns the origin (`http(s)://host:port`). */
async function listen(server: Server, options: TestIssuerOptions, https: boolean): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return `${https ? 'https' : 'http'}://${host}:${port}`;
}

/** `mintOpaque` / `revokeOpaque`: opaque tokens known to the introspection endpoint. */
function opaqueTokenMethods(
  state: IssuerState,
  ctx: MintContext,
): Pick<TestIssuer, 'mintOpaque' | 'revokeOpaque'> {
  return {
    mintOpaque(claims = {}) {
      const token = randomBytes(32).toString('base64url');
      const iat = Math.floor(Date.now() / 1000);
      const base = {
        active: true,
        iss: ctx.issuer,
        sub: ctx.subject,
        aud: ctx.audience,
        client_id: ctx.clientId,
        scope: ctx.scope,
        token_type: 'Bearer',
        iat,
        exp: iat + ctx.tokenLifetimeSeconds,
        jti: randomUUID(),
      };
      state.opaque.set(token, merge(base, claims));
      return token;
    },
    revokeOpaque(token) {
      if (state.opaque.has(token)) state.opaque.set(token, { active: false });
    },
  };
}

type SwitchMethods = 'requests' | 'resetRequests' | 'setExtraKeys' | 'setMetadata' | 'setMode' | 'setLatency';

/** The request counters and the switches that change what the endpoints serve. */
function switchMethods(state: IssuerState): Pick<TestIssuer, SwitchMethods> & { releaseHanging(): void } {
  const releaseHanging = () => {
    for (const res of state.hanging) res.socket?.destroy();
    state.hanging.clear();
  };
  return {
    requests: state.counts,
    resetRequests() {
      for (const name of Object.keys(state.counts) as (keyof RequestCounts)[]) state.counts[name] = 0;
    },
    setExtraKeys(extra) {
      state.keys.extra = [...extra];
    },
    setMetadata(overrides) {
      state.metadataOverrides = { ...overrides };
    },
    setMode(mode, endpoints) {
      for (const endpoint of list(endpoints)) state.modes[endpoint] = mode;
      if (mode !== 'hang') releaseHanging();
    },
    setLatency(ms, endpoints) {
      for (const endpoint of list(endpoints)) state.latencyMs[endpoint] = ms;
    },
    releaseHanging,
  };
}

/** `caFile` / `close`: the temporary CA file and the server's shutdown. */
function lifecycleMethods(
  server: Server,
  tls: TestTlsMaterial | undefined,
  releaseHanging: () => void,
): Pick<TestIssuer, 'caFile' | 'close'> {
  let caDir: string | undefined;
  return {
    async caFile() {
      if (!tls) throw new Error('caFile() needs an HTTPS issuer (https: true).');
      if (!caDir) {
        caDir = await mkdtemp(join(tmpdir(), 'restguard-testing-'));
        await writeFile(join(caDir, 'ca.pem'), tls.caPem);
      }
      return join(caDir, 'ca.pem');
    },
    async close() {
      releaseHanging();
      if (caDir) await rm(caDir, { recursive: true, force: true });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Starts a test issuer on a real loopback socket.
 * @example
 * const issuer = await createTestIssuer({ https: true, pathPrefix: '/realms/acme' });
 * const token = await issuer.mint({ scope: 'read write' });
 * // … verify `token` against issuer.url / issuer.audience, fetching with issuer.fetch …
 * await issuer.close();
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const resolved = resolveOptions(options);
  const { pathPrefix, client, defaultAlgorithm } = resolved;
  const keys = new KeyRing();
  const [tls] = await Promise.all([
    options.https ? generateTestTls() : undefined,
    keys.init(resolved.algorithms),
  ]);
  const state = createIssuerState(keys);
  const handler = createIssuerHandler(state, resolved, options);
  const server: Server = tls
    ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handler)
    : createHttpServer(handler);
  const origin = await listen(server, options, tls !== undefined);
  const url = `${origin}${pathPrefix}`;
  state.url = url;
  const audience = options.audience ?? 'https://api.restguard.test';
  const ctx: MintContext = {
    issuer: url,
    audience,
    clientId: client.clientId,
    subject: options.subject ?? 'alice',
    scope: options.scope ?? 'read',
    defaultAlgorithm,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 300,
    keys,
  };
  const { releaseHanging, ...switches } = switchMethods(state);
  return {
    url,
    origin,
    jwksUri: `${url}/jwks`,
    introspectionEndpoint: `${url}/introspect`,
    openidConfigurationUrl: `${url}/.well-known/openid-configuration`,
    oauthMetadataUrl: `${origin}/.well-known/oauth-authorization-server${pathPrefix}`,
    audience,
    client,
    caPem: tls?.caPem,
    fetch: createCaFetch(tls?.caPem),
    mint: (claims, mintOptions = {}) =>
      signToken(ctx, accessTokenClaims(ctx, claims, mintOptions.expiresIn), mintOptions),
    bad: badTokens(ctx),
    currentKey: (alg = defaultAlgorithm) => keys.currentKey(alg),
    rotate: ({ alg = defaultAlgorithm, keepPrevious = true } = {}) => keys.rotate(alg, keepPrevious),
    jwks: () => keys.jwks(),
    ...opaqueTokenMethods(state, ctx),
    ...switches,
    ...lifecycleMethods(server, tls, releaseHanging),
  };
}
