/**
 * The session manager: browser login routes plus the session principal, composed from the login
 * flow, the sealed session, refresh, CSRF checks and logout. Framework-free (Web APIs, jose,
 * openid-client); the guard calls it, adapters only write its answers.
 */
import { type HttpAnswer, problemAnswer, toChallenge, UnavailableError } from '../errors.js';
import { pathOf } from '../events.js';
import { readinessError } from '../fault.js';
import type { AuthRequest } from '../request.js';
import { instrumentStore, recordRefresh } from '../telemetry.js';
import { parseCookies, readChunkedCookie } from './cookies.js';
import { checkCsrf } from './csrf.js';
import type { SessionManager } from './index.js';
import { completeLogin, startLogin } from './login.js';
import { backchannelLogout, type LogoutContext, logout } from './logout.js';
import { createProviderClient } from './oidc.js';
import { type ResolvedSessionOptions, resolveSessionOptions, type SessionOptions } from './options.js';
import { createRefresher } from './refresh.js';
import { createMemoryRevocationList, ExpiringSet, guardRevocationList } from './revocation.js';
import { createSealer } from './seal.js';
import { endSessionCookies, readSession, sessionPrincipal, writeSession } from './state.js';

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
  const options: ResolvedSessionOptions = { ...resolveSessionOptions(sessionOptions), ...internals };
  const provider = createProviderClient(options);
  const sessionSealer = createSealer(options.secrets, 'session', options.clock);
  const ctx: LogoutContext = {
    options,
    provider,
    sessionSealer,
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
  const refresher = createRefresher(options, provider, ctx.revocations);
  const touchInterval = Math.min(60, options.idleTimeoutSeconds / 10);
  const now = () => Math.floor(options.clock() / 1000);

  async function route(request: AuthRequest): Promise<HttpAnswer | null> {
    const path = pathOf(request.url);
    const { paths } = options;
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

  return {
    async authenticate(request) {
      const cookies = parseCookies(request);
      if (readChunkedCookie(cookies, options.cookieName) === undefined) return null;
      const ended = () => ({ principal: null, setCookies: endSessionCookies(cookies, options) });
      let data = await readSession(cookies, sessionSealer, options);
      if (!data || (await ctx.revocations.isRevoked(data))) return ended();
      // Before any side effect (refresh): a cross-site state-changing request stops here.
      checkCsrf(request, options.origin);
      let changed = false;
      if (refresher.due(data)) {
        if (data.refreshToken) {
          try {
            const result = await refresher.refresh(data).catch((err: unknown) => {
              recordRefresh('unavailable');
              throw err;
            });
            if (!result.ok && result.elsewhere) {
              // Refreshed by another instance: carry on with this access token while it is valid,
              // then ask the browser to retry (it has the new cookie by then); never end the session.
              if (now() >= data.tokenExpiresAt) {
                throw new UnavailableError('This session was refreshed by another request; retry.', {
                  retryAfterSeconds: 1,
                });
              }
              return { principal: sessionPrincipal(data, options), setCookies: [] };
            }
            recordRefresh(result.ok ? 'ok' : 'refused');
            if (!result.ok) {
              // Refused by the provider: ended on every instance sharing the list (best effort).
              await ctx.revocations
                .revoke({ id: data.id, at: now(), until: data.createdAt + options.absoluteTimeoutSeconds })
                .catch(() => undefined);
              return ended();
            }
            data = result.data;
            changed = true;
          } catch (err) {
            // Provider unreachable: a still-valid access token carries on; an expired one is a 503.
            if (now() >= data.tokenExpiresAt) throw err;
          }
        } else if (now() >= data.tokenExpiresAt) {
          return ended();
        }
      }
      if (!changed && now() - data.touchedAt >= touchInterval) {
        data = { ...data, touchedAt: now() };
        changed = true;
      }
      const setCookies = changed ? await writeSession(cookies, data, sessionSealer, options) : [];
      return { principal: sessionPrincipal(data, options), setCookies };
    },
    async handle(request) {
      try {
        return await route(request);
      } catch (err) {
        return toChallenge(err);
      }
    },
    async ready() {
      try {
        await provider.get();
      } catch (err) {
        throw readinessError(options.issuer, err);
      }
    },
    async close() {},
  };
}
