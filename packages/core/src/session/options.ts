/**
 * Options of the browser login (OpenID Connect Core 1.0 §3.1, authorization-code flow) and of the
 * sealed session it leaves behind, checked once at start-up.
 */
import { ConfigInvalidError } from '../errors.js';
import { optionKeys } from '../options-check.js';
import type { SessionRevocationList } from './revocation.js';

/**
 * A `fetch` for the calls to the provider (discovery, token, JWKS), e.g. one that trusts a dev CA.
 * @example
 * const sessions = { ...options, fetch: createCaFetch(caPem) };
 */
export type SessionFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Where the login routes live. `backchannelLogout: false` turns that endpoint off.
 * @example
 * const paths: SessionPaths = { login: '/signin', callback: '/signin/callback', backchannelLogout: false };
 */
export interface SessionPaths {
  /** Default `/auth/login`. Query `returnTo=/path` (same-origin relative path only). */
  login?: string;
  /** Default `/auth/callback`; registered at the provider as `baseUrl + callback`. */
  callback?: string;
  /** Default `/auth/logout`. */
  logout?: string;
  /** Default `/auth/backchannel-logout` (OIDC Back-Channel Logout 1.0 §2.5). */
  backchannelLogout?: string | false;
}

/**
 * Options for OIDC browser login and sealed sessions.
 * @example
 * const sessions: SessionOptions = {
 *   issuer: 'https://idp.example',
 *   clientId: 'notes-web',
 *   clientSecret: process.env.OIDC_CLIENT_SECRET,
 *   baseUrl: 'https://notes.example',
 *   secrets: [process.env.SESSION_SECRET!],
 *   scopes: ['openid', 'offline_access', 'read', 'write'],
 *   resource: 'https://notes.restguard.test',
 * };
 */
export interface SessionOptions {
  /** The provider's issuer identifier, matched exactly against its discovery metadata. */
  issuer: string;
  clientId: string;
  /** Confidential clients: sent with `client_secret_basic` (or `clientAuthMethod`). */
  clientSecret?: string;
  /** Default `client_secret_basic` with a secret, `none` (PKCE only) without. */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** The app's public origin, no path (`https://notes.example`): the redirect URI and the CSRF origin. */
  baseUrl: string;
  /** Sealing secrets, at least 32 characters each. The first seals; all open (rotation). */
  secrets: readonly string[];
  /** Requested scopes; `openid` is always added. `offline_access` asks for a refresh token. */
  scopes?: readonly string[];
  /** RFC 8707 resource indicator(s): the API audience the access token is issued for. */
  resource?: string | readonly string[];
  /** Extra authorization-request parameters (`prompt`, `acr_values`, …). Never state, nonce or PKCE. */
  authorizationParams?: Readonly<Record<string, string>>;
  paths?: SessionPaths;
  /** Where the provider sends the browser after logout. Default `baseUrl + '/'`. */
  postLogoutRedirectUri?: string;
  /** Session cookie name; must start with `__Host-`. Default `__Host-restguard-session`. */
  cookieName?: string;
  /** A session unused this long ends. Default 1800 s (30 min). */
  idleTimeoutSeconds?: number;
  /** A session ends this long after login, whatever its use. Default 28800 s (8 h). */
  absoluteTimeoutSeconds?: number;
  /** Lifetime of a pending login (the transaction cookie). Default 600 s. */
  transactionTimeoutSeconds?: number;
  /** Refresh the access token this long before it expires (at most half its lifetime). Default 60 s. */
  refreshBeforeExpirySeconds?: number;
  /** Timeout of each call to the provider. Default 5 s. */
  timeoutSeconds?: number;
  /** Custom fetch for the provider calls (a private CA, a proxy). */
  fetch?: SessionFetch;
  /** Allows an `http://` issuer. For tests on loopback only; never in production. */
  allowInsecureRequests?: boolean;
  /** Ended sessions (back-channel logout). Default: in this process, bounded. */
  revocations?: SessionRevocationList;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  clock?: () => number;
}

/** Every key of {@link SessionOptions}; anything else is refused at start-up. */
export const SESSION_OPTION_KEYS = optionKeys<SessionOptions>({
  issuer: true,
  clientId: true,
  clientSecret: true,
  clientAuthMethod: true,
  baseUrl: true,
  secrets: true,
  scopes: true,
  resource: true,
  authorizationParams: true,
  paths: true,
  postLogoutRedirectUri: true,
  cookieName: true,
  idleTimeoutSeconds: true,
  absoluteTimeoutSeconds: true,
  transactionTimeoutSeconds: true,
  refreshBeforeExpirySeconds: true,
  timeoutSeconds: true,
  fetch: true,
  allowInsecureRequests: true,
  revocations: true,
  clock: true,
});

/** Every key of {@link SessionPaths}; anything else is refused at start-up. */
export const SESSION_PATH_KEYS = optionKeys<SessionPaths>({
  login: true,
  callback: true,
  logout: true,
  backchannelLogout: true,
});

/** {@link SessionOptions} with every default applied. */
export interface ResolvedSessionOptions {
  /**
   * The scopes of an access token by the token verifier's own rules (set by the guard when it also
   * verifies tokens), so one token has the same scopes as a bearer and inside a session.
   */
  scopesOf?: (accessToken: string) => Promise<Iterable<string>>;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  clientAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
  origin: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  secrets: readonly string[];
  scopes: readonly string[];
  resources: readonly string[];
  authorizationParams: Readonly<Record<string, string>>;
  paths: { login: string; callback: string; logout: string; backchannelLogout: string | null };
  cookieName: string;
  transactionCookieName: string;
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  transactionTimeoutSeconds: number;
  refreshBeforeExpirySeconds: number;
  timeoutSeconds: number;
  fetch?: SessionFetch;
  allowInsecureRequests: boolean;
  revocations?: SessionRevocationList;
  clock: () => number;
}

/** Parameters the flow owns; `authorizationParams` may not set them. */
const RESERVED = [
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'redirect_uri',
  'response_type',
  'client_id',
  'scope',
  'resource',
  'response_mode',
];

function fail(message: string): never {
  throw new ConfigInvalidError(`sessions: ${message}`);
}

function url(value: unknown, name: string, insecure: boolean): URL {
  if (typeof value !== 'string') fail(`${name} is required`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    fail(`${name} must be an absolute URL`);
  }
  if (parsed.protocol !== 'https:' && !(insecure && parsed.protocol === 'http:'))
    fail(`${name} must use https`);
  return parsed;
}

function seconds(value: number | undefined, fallback: number, name: string): number {
  const out = value ?? fallback;
  if (!Number.isFinite(out) || out <= 0) fail(`${name} must be a positive number`);
  return out;
}

function path(value: string | undefined, fallback: string, name: string): string {
  const out = value ?? fallback;
  if (!/^\/[^?#\s]*$/.test(out)) fail(`paths.${name} must be an absolute path`);
  return out;
}

/**
 * Checks {@link SessionOptions} and applies defaults; throws {@link ConfigInvalidError} at start-up.
 * @example
 * const resolved = resolveSessionOptions({ issuer, clientId, baseUrl, secrets });
 */
export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const insecure = options.allowInsecureRequests === true;
  url(options.issuer, 'issuer', insecure);
  const base = url(options.baseUrl, 'baseUrl', false);
  const { method, cookieName } = checkClient(options);
  const scopes = ['openid', ...(options.scopes ?? []).filter((scope) => scope !== 'openid')];
  const resources =
    options.resource === undefined
      ? []
      : typeof options.resource === 'string'
        ? [options.resource]
        : [...options.resource];
  const paths = options.paths ?? {};
  const callback = path(paths.callback, '/auth/callback', 'callback');
  if (base.pathname !== '/' || base.search || base.hash)
    fail('baseUrl must be an origin (no path): __Host- cookies are for the whole origin');
  const absolute = seconds(options.absoluteTimeoutSeconds, 28_800, 'absoluteTimeoutSeconds');
  const resolved: ResolvedSessionOptions = {
    issuer: options.issuer,
    clientId: options.clientId,
    clientAuthMethod: method,
    origin: base.origin,
    redirectUri: `${base.origin}${callback}`,
    postLogoutRedirectUri: options.postLogoutRedirectUri
      ? url(options.postLogoutRedirectUri, 'postLogoutRedirectUri', false).href
      : `${base.origin}/`,
    secrets: [...options.secrets],
    scopes,
    resources,
    authorizationParams: { ...(options.authorizationParams ?? {}) },
    paths: resolvePaths(paths, callback),
    cookieName,
    transactionCookieName: `${cookieName}-tx`,
    ...resolveTimeouts(options, absolute),
    allowInsecureRequests: insecure,
    clock: options.clock ?? Date.now,
  };
  if (options.clientSecret) resolved.clientSecret = options.clientSecret;
  if (options.fetch) resolved.fetch = options.fetch;
  if (options.revocations) resolved.revocations = options.revocations;
  return resolved;
}

/** The client's own options: its id, secrets, session cookie name, authorization parameters, auth method. */
function checkClient(options: SessionOptions): {
  method: ResolvedSessionOptions['clientAuthMethod'];
  cookieName: string;
} {
  if (typeof options.clientId !== 'string' || options.clientId === '') fail('clientId is required');
  if (!Array.isArray(options.secrets) || options.secrets.length === 0)
    fail('secrets needs at least one secret');
  for (const secret of options.secrets) {
    if (typeof secret !== 'string' || secret.length < 32) fail('each secret needs at least 32 characters');
  }
  const cookieName = options.cookieName ?? '__Host-restguard-session';
  if (!/^__Host-[A-Za-z0-9!#$%&'*+^_`|~-]+$/.test(cookieName))
    fail('cookieName must be a token starting with __Host-');
  for (const key of Object.keys(options.authorizationParams ?? {})) {
    if (RESERVED.includes(key)) fail(`authorizationParams may not set ${key}`);
  }
  const method = options.clientAuthMethod ?? (options.clientSecret ? 'client_secret_basic' : 'none');
  if (method !== 'none' && !options.clientSecret) fail(`${method} needs a clientSecret`);
  return { method, cookieName };
}

/** The login routes' paths, defaults applied (`backchannelLogout: false` turns that route off). */
function resolvePaths(
  paths: NonNullable<SessionOptions['paths']>,
  callback: string,
): ResolvedSessionOptions['paths'] {
  return {
    login: path(paths.login, '/auth/login', 'login'),
    callback,
    logout: path(paths.logout, '/auth/logout', 'logout'),
    backchannelLogout:
      paths.backchannelLogout === false
        ? null
        : path(paths.backchannelLogout, '/auth/backchannel-logout', 'backchannelLogout'),
  };
}

/** The timeouts, defaults applied; the idle timeout at most the absolute one. */
function resolveTimeouts(options: SessionOptions, absolute: number) {
  return {
    idleTimeoutSeconds: Math.min(seconds(options.idleTimeoutSeconds, 1_800, 'idleTimeoutSeconds'), absolute),
    absoluteTimeoutSeconds: absolute,
    transactionTimeoutSeconds: seconds(options.transactionTimeoutSeconds, 600, 'transactionTimeoutSeconds'),
    refreshBeforeExpirySeconds: seconds(options.refreshBeforeExpirySeconds, 60, 'refreshBeforeExpirySeconds'),
    timeoutSeconds: seconds(options.timeoutSeconds, 5, 'timeoutSeconds'),
  };
}
