/**
 * The test issuer's HTTP endpoints: OpenID Connect discovery, RFC 8414 §3 metadata (well-known
 * segment inserted before the issuer's path), the JWK Set, and RFC 7662 §2 token introspection with
 * `client_secret_basic` / `client_secret_post` client authentication. Each endpoint group has an
 * outage switch and a request counter.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The endpoint groups an outage switch applies to. */
export type TestEndpoint = 'discovery' | 'jwks' | 'introspection';

/**
 * How an endpoint behaves: `ok`; `refuse` (the connection is destroyed without an answer); `500`;
 * `hang` (never answers, until `close()`); `garbage` (200 with a body that is not JSON); `huge` (200
 * with a 50 MiB JSON-looking body, streamed as fast as the client reads it).
 */
export type EndpointMode = 'ok' | 'refuse' | '500' | 'hang' | 'garbage' | 'huge';

/** The size of a `huge` answer. */
export const HUGE_BODY_BYTES = 50 * 1024 * 1024;

/** Streams `{"keys":[` and spaces up to {@link HUGE_BODY_BYTES}, stopping when the client goes away. */
function streamHuge(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE_BODY_BYTES) });
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  let sent = 0;
  const pump = () => {
    while (sent < HUGE_BODY_BYTES && !res.destroyed) {
      const piece =
        sent === 0 ? Buffer.concat([Buffer.from('{"keys":['), chunk]).subarray(0, chunk.length) : chunk;
      sent += piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/** Requests received per endpoint (counted even when an outage switch is on). */
export interface RequestCounts {
  /** `/.well-known/openid-configuration` under the issuer. */
  openidConfiguration: number;
  /** RFC 8414 `/.well-known/oauth-authorization-server` + issuer path. */
  oauthAuthorizationServer: number;
  jwks: number;
  introspection: number;
  /** Anything else (404s). */
  other: number;
}

/** What the request handler reads from the issuer, live. */
export interface ServerState {
  readonly pathPrefix: string;
  readonly modes: Record<TestEndpoint, EndpointMode>;
  readonly latencyMs: Record<TestEndpoint, number>;
  readonly counts: RequestCounts;
  readonly wellKnown: ReadonlySet<'openid-configuration' | 'oauth-authorization-server'>;
  metadata(): Record<string, unknown>;
  jwks(): unknown;
  readonly client: { clientId: string; clientSecret: string };
  introspect(token: string): Record<string, unknown>;
  /** Responses held open by `hang`, ended on close. */
  readonly hanging: Set<ServerResponse>;
}

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** RFC 7662 §2.1 client authentication: Basic (form-urlencoded id and secret) or the POST body. */
function authenticateClient(
  req: IncomingMessage,
  form: URLSearchParams,
  client: ServerState['client'],
): boolean {
  const header = req.headers.authorization;
  let id: string | null = null;
  let secret: string | null = null;
  if (header?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    try {
      id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      return false;
    }
    if (form.has('client_secret')) return false; // two methods at once
  } else {
    id = form.get('client_id');
    secret = form.get('client_secret');
  }
  return (
    id !== null && secret !== null && safeEqual(id, client.clientId) && safeEqual(secret, client.clientSecret)
  );
}

type Route = { endpoint: TestEndpoint; count: keyof RequestCounts };

/** The paths the issuer answers, each with its outage-switch group and its counter. */
function buildRoutes(state: ServerState): Map<string, Route> {
  const prefix = state.pathPrefix;
  const routes = new Map<string, Route>();
  if (state.wellKnown.has('openid-configuration')) {
    routes.set(`${prefix}/.well-known/openid-configuration`, {
      endpoint: 'discovery',
      count: 'openidConfiguration',
    });
  }
  if (state.wellKnown.has('oauth-authorization-server')) {
    routes.set(`/.well-known/oauth-authorization-server${prefix}`, {
      endpoint: 'discovery',
      count: 'oauthAuthorizationServer',
    });
  }
  routes.set(`${prefix}/jwks`, { endpoint: 'jwks', count: 'jwks' });
  routes.set(`${prefix}/introspect`, { endpoint: 'introspection', count: 'introspection' });
  return routes;
}

/** Acts out an outage mode; returns false for `ok` (the endpoint answers normally). */
function actOutOutage(
  mode: EndpointMode,
  req: IncomingMessage,
  res: ServerResponse,
  state: ServerState,
): boolean {
  if (mode === 'ok') return false;
  if (mode === 'refuse') req.socket.destroy();
  else if (mode === 'hang') state.hanging.add(res);
  else if (mode === '500') json(res, 500, { error: 'server_error' });
  else if (mode === 'huge') streamHuge(res);
  else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"keys": [ this is not json <html>');
  }
  return true;
}

/** The normal answer of an endpoint group. */
async function answerEndpoint(
  state: ServerState,
  endpoint: TestEndpoint,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (endpoint === 'discovery') return json(res, 200, state.metadata());
  if (endpoint === 'jwks')
    return json(res, 200, state.jwks(), { 'content-type': 'application/jwk-set+json' });
  if (req.method !== 'POST') return json(res, 405, { error: 'invalid_request' }, { allow: 'POST' });
  const form = new URLSearchParams(await readBody(req));
  if (!authenticateClient(req, form, state.client)) {
    return json(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="introspection"' });
  }
  const token = form.get('token');
  if (!token) return json(res, 400, { error: 'invalid_request' });
  return json(res, 200, state.introspect(token));
}

/** Builds the request listener for node:http / node:https. */
export function createHandler(state: ServerState): (req: IncomingMessage, res: ServerResponse) => void {
  const routes = buildRoutes(state);
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.get(path);
    if (!route) {
      state.counts.other++;
      json(res, 404, { error: 'not_found' });
      return;
    }
    state.counts[route.count]++;
    const run = () => {
      if (!actOutOutage(state.modes[route.endpoint], req, res, state)) {
        void answerEndpoint(state, route.endpoint, req, res);
      }
    };
    const latency = state.latencyMs[route.endpoint];
    if (latency > 0) setTimeout(run, latency);
    else run();
  };
}
