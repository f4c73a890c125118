/**
 * `restguard token`: a development access token from an authorization server, with the
 * client-credentials grant (RFC 6749 §4.4), for scripts and demos:
 * `TOKEN=$(RESTGUARD_CLIENT_SECRET=… restguard token --issuer https://127.0.0.1:9400 --client-id demo-machine
 *   --scope read,write --resource https://notes.restguard.test)`.
 *
 * HTTPS only. The token endpoint comes from the issuer's metadata (OpenID Connect Discovery 1.0 §4,
 * else RFC 8414 §3.1), whose `issuer` must equal `--issuer` exactly (RFC 8414 §3.3). The client
 * authenticates with `client_secret_basic` (RFC 6749 §2.3.1), or `client_secret_post` when that is
 * all the server offers; the secret comes from `RESTGUARD_CLIENT_SECRET`, never from a flag. The
 * audience is requested with `resource` (RFC 8707 §2). Redirects are never followed.
 *
 * Discovery and the grant go through openid-client, as core's sessions do, so the project has one
 * discovery; this file only checks the command line and turns openid-client's errors into one line.
 */
import * as client from 'openid-client';
import { type CommandSpec, type ParsedCommand, requiredUrlOption } from './args.js';
import { errorCode, UsageError } from './errors.js';
import { formatJson } from './output.js';

/** `restguard token`. */
export const tokenSpec: CommandSpec = {
  name: 'token',
  summary:
    'Gets an access token with the client-credentials grant (RFC 6749 §4.4) and prints it. The client secret is read from RESTGUARD_CLIENT_SECRET.',
  positionals: [],
  options: {
    issuer: requiredUrlOption('The issuer identifier (https://…).'),
    'client-id': {
      type: 'string',
      required: true,
      value: 'ID',
      description: 'The OAuth client, e.g. demo-machine.',
    },
    scope: { type: 'string', value: 'LIST', description: 'Comma-separated scopes, e.g. read,write.' },
    resource: {
      type: 'string',
      value: 'URL',
      description: 'The API the token is for (RFC 8707), e.g. its audience.',
    },
    json: { type: 'boolean', description: 'Print {"accessToken","tokenType","expiresIn","scope"}.' },
  },
  notes: ['Outbound HTTPS trusts Node’s CA store plus NODE_EXTRA_CA_CERTS (e.g. a dev issuer’s CA).'],
};

/** Per-request time limit, in seconds. */
const TIMEOUT_SECONDS = 10;
/** Metadata and token answers larger than this are treated as unreadable. */
const MAX_BODY_BYTES = 1_000_000;
/** RFC 6749 §3.3 scope-token, without the comma we split on. */
const SCOPE_TOKEN = /^[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+$/;
/** RFC 6749 §5.2 error code characters. */
const ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
/** openid-client codes for "there is no readable metadata document here" (status, content type, JSON). */
const NO_METADATA = new Set([
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_PARSE_ERROR',
]);

/** What the command line and the environment ask for, checked. */
interface TokenRequest {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly resource: string | undefined;
  readonly secret: string;
}

function httpsUrl(value: string, flag: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be an absolute https:// URL.`);
  }
  if (url.protocol !== 'https:')
    throw new UsageError(`${flag} must use https:// (credentials never travel in clear).`);
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(`${flag} must not carry credentials, a query or a fragment.`);
  }
  return url;
}

/**
 * Runs `restguard token`; returns 0 or throws a one-line UsageError.
 * @example
 * await runTokenCommand(parseCommand(tokenSpec, ['--issuer', issuer, '--client-id', 'demo-machine']), io);
 */
export async function runTokenCommand(
  parsed: ParsedCommand,
  io: { stdout: (text: string) => void; env: Readonly<Record<string, string | undefined>> },
): Promise<number> {
  const request = readTokenRequest(parsed.values as Record<string, string | undefined>, io.env);
  const config = await discoverServer(request);
  const tokens = await requestToken(config, request);
  if (parsed.values.json !== true) {
    io.stdout(`${tokens.access_token}\n`);
  } else {
    const expiresIn = typeof tokens.expires_in === 'number' ? tokens.expires_in : null;
    const scope = typeof tokens.scope === 'string' ? tokens.scope : request.scopes.join(' ') || null;
    io.stdout(formatJson({ accessToken: tokens.access_token, tokenType: 'Bearer', expiresIn, scope }));
  }
  return 0;
}

/** Checks the flags and the secret before any request is made. */
function readTokenRequest(
  values: Record<string, string | undefined>,
  env: Readonly<Record<string, string | undefined>>,
): TokenRequest {
  const issuer = values.issuer!;
  httpsUrl(issuer, '--issuer');
  const clientId = values['client-id']!;
  if (!/^[\x20-\x7E]{1,256}$/.test(clientId)) throw new UsageError('--client-id must be printable ASCII.');
  const scopes = values.scope === undefined ? [] : values.scope.split(',');
  if (scopes.some((scope) => !SCOPE_TOKEN.test(scope))) {
    throw new UsageError('--scope must be a comma-separated list of scope tokens, e.g. read,write.');
  }
  const resource = values.resource;
  if (resource !== undefined) {
    try {
      if (new URL(resource).hash) throw new Error('fragment');
    } catch {
      throw new UsageError('--resource must be an absolute URI without a fragment (RFC 8707 §2).');
    }
  }
  const secret = env.RESTGUARD_CLIENT_SECRET;
  if (!secret)
    throw new UsageError(
      'RESTGUARD_CLIENT_SECRET is not set: the client secret is read from it, never from a flag.',
    );
  return { issuer, clientId, scopes, resource, secret };
}

/**
 * OpenID Connect Discovery first, then the RFC 8414 location, through openid-client; the metadata's
 * `issuer` must equal `--issuer` exactly (openid-client alone would accept a trailing-slash variant).
 */
async function discoverServer(request: TokenRequest): Promise<client.Configuration> {
  const mismatch = () =>
    new UsageError('the issuer metadata names a different issuer than --issuer (they must match exactly).');
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    let config: client.Configuration;
    try {
      config = await client.discovery(
        new URL(request.issuer),
        request.clientId,
        { client_secret: request.secret },
        clientAuthentication(request.secret),
        { algorithm, timeout: TIMEOUT_SECONDS, [client.customFetch]: boundedFetch },
      );
    } catch (err) {
      const unreachable = usageErrorIn(err);
      if (unreachable) throw unreachable;
      const { code, cause } = err as { code?: unknown; cause?: { cause?: { body?: unknown } } };
      if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' || code === 'ERR_INVALID_URL') throw mismatch();
      // A JSON object without a string `issuer` names no issuer: a mismatch, as before.
      if (code === 'OAUTH_INVALID_RESPONSE' && isJsonObject(cause?.cause?.body)) throw mismatch();
      if (err instanceof client.ResponseBodyError || code === 'OAUTH_INVALID_RESPONSE') continue;
      if (typeof code === 'string' && NO_METADATA.has(code)) continue;
      throw err;
    }
    if (config.serverMetadata().issuer !== request.issuer) throw mismatch();
    return config;
  }
  throw new UsageError(
    'no authorization server metadata at the issuer (OpenID Connect Discovery or RFC 8414).',
  );
}

/**
 * `client_secret_basic` when the server offers it (or says nothing: RFC 8414 §2's default), else
 * `client_secret_post`; chosen when the request is made, from the discovered metadata.
 */
function clientAuthentication(secret: string): client.ClientAuth {
  return (server, clientMetadata, body, headers) => {
    const method = authMethodsOf(server).includes('client_secret_basic')
      ? client.ClientSecretBasic(secret)
      : client.ClientSecretPost(secret);
    return method(server, clientMetadata, body, headers);
  };
}

function authMethodsOf(server: client.ServerMetadata): readonly unknown[] {
  const methods: unknown = server.token_endpoint_auth_methods_supported;
  return Array.isArray(methods) ? methods : ['client_secret_basic'];
}

/** The client-credentials grant (RFC 6749 §4.4) at the discovered token endpoint. */
async function requestToken(
  config: client.Configuration,
  request: TokenRequest,
): Promise<client.TokenEndpointResponse> {
  const metadata = config.serverMetadata();
  httpsUrl(String(metadata.token_endpoint ?? ''), 'the token_endpoint in the metadata');
  const methods = authMethodsOf(metadata);
  if (!methods.includes('client_secret_basic') && !methods.includes('client_secret_post')) {
    throw new UsageError(
      'The authorization server offers neither client_secret_basic nor client_secret_post.',
    );
  }
  const parameters = new URLSearchParams();
  if (request.scopes.length > 0) parameters.set('scope', request.scopes.join(' '));
  if (request.resource !== undefined) parameters.set('resource', request.resource);
  let tokens: client.TokenEndpointResponse;
  try {
    tokens = await client.clientCredentialsGrant(config, parameters);
  } catch (err) {
    throw await grantFailure(err);
  }
  if (!/^[\x21-\x7E]+$/.test(tokens.access_token)) throw noUsableToken();
  if (tokens.token_type.toLowerCase() !== 'bearer') throw nonBearer();
  return tokens;
}

const noUsableToken = () =>
  new UsageError('the authorization server answered without a usable access token.');
const nonBearer = () => new UsageError('the authorization server issued a non-Bearer token.');

/** One line for a failed grant: the server's OAuth error code (RFC 6749 §5.2) or its HTTP status. */
async function grantFailure(err: unknown): Promise<UsageError> {
  const unreachable = usageErrorIn(err);
  if (unreachable) return unreachable;
  const { code, error, status, cause } = err as {
    code?: unknown;
    error?: unknown;
    status?: unknown;
    cause?: unknown;
  };
  if (err instanceof client.ResponseBodyError || err instanceof client.WWWAuthenticateChallengeError) {
    // A challenge without an `error` parameter: the error code is in the body (RFC 6749 §5.2).
    const named = error ?? (await oauthErrorOf(err));
    const known = typeof named === 'string' && ERROR_CODE.test(named) ? named : undefined;
    return new UsageError(`the authorization server refused the request (${known ?? `HTTP ${status}`}).`);
  }
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && cause instanceof Response && cause.status !== 200) {
    return new UsageError(`the authorization server refused the request (HTTP ${cause.status}).`);
  }
  if (code === 'OAUTH_UNSUPPORTED_OPERATION') return nonBearer();
  return noUsableToken();
}

/**
 * openid-client's fetch: no redirects (openid-client asks for `manual`), the body read here within
 * the time limit and capped, and a network failure turned into "cannot reach ORIGIN (CODE)".
 */
const boundedFetch: client.CustomFetch = async (url, options) => {
  try {
    const response = await fetch(url, options as RequestInit);
    const body = await response.arrayBuffer();
    const nullBody = response.status === 204 || response.status === 205 || response.status === 304;
    return new Response(nullBody ? null : body.byteLength <= MAX_BODY_BYTES ? body : '', {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  } catch (err) {
    const code =
      errorCode(err) ?? (err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : undefined);
    throw new UsageError(`cannot reach ${new URL(url).origin}${code ? ` (${code})` : ''}.`);
  }
};

/** The `error` member of a refusal's JSON body, when the body can still be read. */
async function oauthErrorOf(err: client.ResponseBodyError | client.WWWAuthenticateChallengeError) {
  const response = (err as { response?: unknown }).response;
  if (!(response instanceof Response) || response.bodyUsed) return undefined;
  try {
    const body: unknown = await response.json();
    return isJsonObject(body) ? (body as { error?: unknown }).error : undefined;
  } catch {
    return undefined;
  }
}

/** The "cannot reach" refusal {@link boundedFetch} threw, which openid-client may have wrapped. */
function usageErrorIn(err: unknown): UsageError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof UsageError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
