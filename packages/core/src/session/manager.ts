/**
 * The session manager: browser login routes plus the session principal, composed from the login
 * flow, the sealed session, refresh, CSRF checks and logout. Framework-free (Web APIs, jose,
 * openid-client); the guard calls it, adapters only write its answers.
 */
import { type HttpAnswer, problemAnswer, toChallenge, UnavailableError } from '../errors.js';
import { pathOf } from '../events.js';
import { readinessError } from '../fault.js';
import type { Principal } from '../principal.js';
import type { AuthRequest } from '../request.js';
import { instrumentStore, recordRefresh } from '../telemetry.js';
import { parseCookies, readChunkedCookie } from './cookies.js';
import { checkCsrf } from './csrf.js';
import type { SessionManager } from './index.js';
import { completeLogin, startLogin } from './login.js';
import { backchannelLogout, type LogoutContext, logout } from './logout.js';
import { createProviderClient } from './oidc.js';
import { type ResolvedSessionOptions, resolveSessionOptions, type SessionOptions } from './options.js';
import { createRefresher, type Refresher } from './refresh.js';
import { createMemoryRevocationList, ExpiringSet, guardRevocationList } from './revocation.js';
import { createSealer } from './seal.js';
import { endSessionCookies, readSession, type SessionData, sessionPrincipal, writeSession } from './state.js';

function methodNotAllowed(allow: string): HttpAnswer {
  return problemAnswer(
    405,
    'Method Not Allowed',
    'This sign-in route does not accept that method.',
    {},
    { allow },
  );
}

/**
 * Creates the browser-session manager: `/auth/login`, `/auth/callback`, `/auth/logout` and
 * `/auth/backchannel-logout`, and a `session` principal for requests carrying the session cookie.
 * Options are checked now (throws `ConfigInvalidError`); the provider is discovered on first use.
 * @example
 * const sessions = createSessionManager({
 *   issuer: 'https://idp.example', clientId: 'notes-web', clientSecret: 's3cret',
 *   baseUrl: 'https://notes.example', secrets: [sessionSecret], scopes: ['offline_access', 'read', 'write'],
 *   resource: 'https://notes.example/api',
 * });
 * const answer = await sessions.handle(request); // null unless it is a login route
 */
export function createSessionManager(
  sessionOptions: SessionOptions,
  /** For the guard: how a session's scopes are read from its access token. */
  internals: { scopesOf?: (accessToken: string) => Promise<Iterable<string>> } = {},
): SessionManager {
  const parts = managerParts({ ...resolveSessionOptions(sessionOptions), ...internals });
  const { ctx, options } = parts;
  return {
    authenticate: (request) => authenticateSession(parts, request),
    async handle(request) {
      try {
        return await routeRequest(ctx, request);
      } catch (err) {
        return toChallenge(err);
      }
    },
    async ready() {
      try {
        await ctx.provider.get();
      } catch (err) {
        throw readinessError(options.issuer, err);
      }
    },
    async close() {},
  };
}

/** What a session manager is made of: built once from its resolved options. */
interface ManagerParts {
  readonly options: ResolvedSessionOptions;
  /** The provider, sealers, replay sets and revocation list the routes share. */
  readonly ctx: LogoutContext;
  readonly refresher: Refresher;
  /** Seconds between two writes of an unchanged session's `touchedAt` (its idle timeout). */
  readonly touchInterval: number;
}

function managerParts(options: ResolvedSessionOptions): ManagerParts {
  const provider = createProviderClient(options);
  const ctx: LogoutContext = {
    options,
    provider,
    sessionSealer: createSealer(options.secrets, 'session', options.clock),
    transactionSealer: createSealer(options.secrets, 'transaction', options.clock),
    usedStates: new ExpiringSet(100_000),
    revocations: guardRevocationList(
      instrumentStore(options.revocations ?? createMemoryRevocationList(100_000, options.clock), [
        'revoke',
        'isRevoked',
      ]),
    ),
    seenLogoutTokens: new ExpiringSet(100_000),
  };
  return {
    options,
    ctx,
    refresher: createRefresher(options, provider, ctx.revocations),
    touchInterval: Math.min(60, options.idleTimeoutSeconds / 10),
  };
}

/** The clock in whole seconds. */
const nowSeconds = (options: ResolvedSessionOptions) => Math.floor(options.clock() / 1000);

/** The login routes: each path with its methods; null for any other path. */
async function routeRequest(ctx: LogoutContext, request: AuthRequest): Promise<HttpAnswer | null> {
  const path = pathOf(request.url);
  const { paths } = ctx.options;
  const method = request.method.toUpperCase();
  if (path === paths.login)
    return method === 'GET' || method === 'HEAD' ? startLogin(ctx, request) : methodNotAllowed('GET, HEAD');
  if (path === paths.callback)
    return method === 'GET' ? completeLogin(ctx, request) : methodNotAllowed('GET');
  if (path === paths.logout)
    return method === 'GET' || method === 'POST' ? logout(ctx, request) : methodNotAllowed('GET, POST');
  if (paths.backchannelLogout !== null && path === paths.backchannelLogout) {
    return method === 'POST' ? backchannelLogout(ctx, request) : methodNotAllowed('POST');
  }
  return null;
}

/** `sessions.authenticate`: the session cookie read, checked, refreshed when due and touched. */
async function authenticateSession(
  parts: ManagerParts,
  request: AuthRequest,
): Promise<{ principal: Principal | null; setCookies: string[] } | null> {
  const { options, ctx } = parts;
  const cookies = parseCookies(request);
  if (readChunkedCookie(cookies, options.cookieName) === undefined) return null;
  const ended = () => ({ principal: null, setCookies: endSessionCookies(cookies, options) });
  let data = await readSession(cookies, ctx.sessionSealer, options);
  if (!data || (await ctx.revocations.isRevoked(data))) return ended();
  // Before any side effect (refresh): a cross-site state-changing request stops here.
  checkCsrf(request, options.origin);
  let changed = false;
  if (parts.refresher.due(data)) {
    const refreshed = await refreshSession(parts, data);
    if (refreshed === 'ended') return ended();
    if (refreshed === 'elsewhere') return { principal: sessionPrincipal(data, options), setCookies: [] };
    if (refreshed) {
      data = refreshed;
      changed = true;
    }
  }
  if (!changed && nowSeconds(options) - data.touchedAt >= parts.touchInterval) {
    data = { ...data, touchedAt: nowSeconds(options) };
    changed = true;
  }
  const setCookies = changed ? await writeSession(cookies, data, ctx.sessionSealer, options) : [];
  return { principal: sessionPrincipal(data, options), setCookies };
}

/**
 * A due refresh: the refreshed data; `ended` (refused by the provider, or no refresh token and the
 * access token expired); `elsewhere` (another instance refreshed it: carry on with this access token);
 * undefined to carry on unchanged (no refresh token yet valid, or the provider unreachable while the
 * access token is still valid).
 */
async function refreshSession(
  parts: ManagerParts,
  data: SessionData,
): Promise<SessionData | 'ended' | 'elsewhere' | undefined> {
  const { options, ctx } = parts;
  if (!data.refreshToken) return nowSeconds(options) >= data.tokenExpiresAt ? 'ended' : undefined;
  try {
    const result = await parts.refresher.refresh(data).catch((err: unknown) => {
      recordRefresh('unavailable');
      throw err;
    });
    if (!result.ok && result.elsewhere) {
      // Refreshed by another instance: carry on with this access token while it is valid,
      // then ask the browser to retry (it has the new cookie by then); never end the session.
      if (nowSeconds(options) >= data.tokenExpiresAt) {
        throw new UnavailableError('This session was refreshed by another request; retry.', {
          retryAfterSeconds: 1,
        });
      }
      return 'elsewhere';
    }
    recordRefresh(result.ok ? 'ok' : 'refused');
    if (!result.ok) {
      // Refused by the provider: ended on every instance sharing the list (best effort).
      await ctx.revocations
        .revoke({
          id: data.id,
          at: nowSeconds(options),
          until: data.createdAt + options.absoluteTimeoutSeconds,
        })
        .catch(() => undefined);
      return 'ended';
    }
    return result.data;
  } catch (err) {
    // Provider unreachable: a still-valid access token carries on; an expired one is a 503.
    if (nowSeconds(options) >= data.tokenExpiresAt) throw err;
    return undefined;
  }
}
