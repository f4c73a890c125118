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
 */
import type { CommandSpec, ParsedCommand } from './args.js';
import { errorCode, UsageError } from './errors.js';
import { formatJson } from './output.js';

/** `restguard token`. */
export const tokenSpec: CommandSpec = {
  name: 'token',
  summary:
    'Gets an access token with the client-credentials grant (RFC 6749 §4.4) and prints it. The client secret is read from RESTGUARD_CLIENT_SECRET.',
  positionals: [],
  options: {
    issuer: {
      type: 'string',
      required: true,
      value: 'URL',
      description: 'The issuer identifier (https://…).',
    },
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

/** Per-request time limit. */
const TIMEOUT_MS = 10_000;
/** RFC 6749 §3.3 scope-token, without the comma we split on. */
const SCOPE_TOKEN = /^[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+$/;
/** RFC 6749 §5.2 error code characters. */
const ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/;

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
  const values = parsed.values as Record<string, string | undefined>;
  const issuer = values.issuer!;
  httpsUrl(issuer, '--issuer');
  const clientId = values['client-id']!;
  if (!/^[\x20-\x7E]{1,256}$/.test(clientId)) throw new UsageError('--client-id must be printable ASCII.');
  const scopes = values.scope === undefined ? [] : values.scope.split(',');
  if (scopes.some((scope) => !SCOPE_TOKEN.test(scope))) {
    throw new UsageError('--scope must be a comma-separated list of scope tokens, e.g. read,write.');
  }
  if (values.resource !== undefined) {
    try {
      if (new URL(values.resource).hash) throw new Error('fragment');
    } catch {
      throw new UsageError('--resource must be an absolute URI without a fragment (RFC 8707 §2).');
    }
  }
  const secret = io.env.RESTGUARD_CLIENT_SECRET;
  if (!secret)
    throw new UsageError(
      'RESTGUARD_CLIENT_SECRET is not set: the client secret is read from it, never from a flag.',
    );

  const metadata = await discover(issuer);
  const endpoint = httpsUrl(String(metadata.token_endpoint ?? ''), 'the token_endpoint in the metadata');
  const methods = Array.isArray(metadata.token_endpoint_auth_methods_supported)
    ? (metadata.token_endpoint_auth_methods_supported as unknown[])
    : ['client_secret_basic'];
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scopes.length > 0) form.set('scope', scopes.join(' '));
  if (values.resource !== undefined) form.set('resource', values.resource);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (methods.includes('client_secret_basic')) {
    const encode = (part: string) => encodeURIComponent(part).replace(/%20/g, '+');
    headers.authorization = `Basic ${btoa(`${encode(clientId)}:${encode(secret)}`)}`;
  } else if (methods.includes('client_secret_post')) {
    form.set('client_id', clientId);
    form.set('client_secret', secret);
  } else {
    throw new UsageError(
      'The authorization server offers neither client_secret_basic nor client_secret_post.',
    );
  }
  const answer = await request(endpoint.href, { method: 'POST', headers, body: form.toString() });
  const body = answer.json;
  if (answer.status !== 200) {
    const error = typeof body?.error === 'string' && ERROR_CODE.test(body.error) ? body.error : undefined;
    throw new UsageError(
      `the authorization server refused the request (${error ?? `HTTP ${answer.status}`}).`,
    );
  }
  const accessToken = body?.access_token;
  const tokenType = body?.token_type;
  if (
    typeof accessToken !== 'string' ||
    !/^[\x21-\x7E]+$/.test(accessToken) ||
    typeof tokenType !== 'string'
  ) {
    throw new UsageError('the authorization server answered without a usable access token.');
  }
  if (tokenType.toLowerCase() !== 'bearer')
    throw new UsageError('the authorization server issued a non-Bearer token.');
  if (parsed.values.json !== true) {
    io.stdout(`${accessToken}\n`);
  } else {
    const expiresIn = typeof body?.expires_in === 'number' ? body.expires_in : null;
    const scope = typeof body?.scope === 'string' ? body.scope : scopes.join(' ') || null;
    io.stdout(formatJson({ accessToken, tokenType: 'Bearer', expiresIn, scope }));
  }
  return 0;
}

/** OpenID Connect Discovery first, then the RFC 8414 location; `issuer` must match exactly. */
async function discover(issuer: string): Promise<Record<string, unknown>> {
  const base = issuer.replace(/\/+$/, '');
  const url = new URL(base);
  const path = url.pathname === '/' ? '' : url.pathname;
  const locations = [
    `${base}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
  for (const location of locations) {
    const answer = await request(location, { method: 'GET', headers: { accept: 'application/json' } });
    if (answer.status !== 200 || !answer.json) continue;
    if (answer.json.issuer !== issuer) {
      throw new UsageError(
        'the issuer metadata names a different issuer than --issuer (they must match exactly).',
      );
    }
    return answer.json;
  }
  throw new UsageError(
    'no authorization server metadata at the issuer (OpenID Connect Discovery or RFC 8414).',
  );
}

async function request(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    text = await response.text();
  } catch (err) {
    const code =
      errorCode(err) ?? (err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : undefined);
    throw new UsageError(`cannot reach ${new URL(url).origin}${code ? ` (${code})` : ''}.`);
  }
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = text.length <= 1_000_000 ? JSON.parse(text) : undefined;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}
