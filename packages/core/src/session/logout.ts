/**
 * Logout: the local session ends (cookie cleared, session id revoked), the refresh token is revoked
 * at the provider when it offers RFC 7009 revocation, and the browser goes to the provider's
 * `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0 §2, with `id_token_hint` and
 * `post_logout_redirect_uri`). And back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.6):
 * the provider POSTs a logout token, verified against its JWKS, that ends the matching sessions.
 */
import { type JWTVerifyGetKey, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { HttpAnswer } from '../errors.js';
import type { AuthRequest } from '../request.js';
import { firstHeader } from '../request.js';
import { SUPPORTED_ALGORITHMS } from '../token/options.js';
import { parseCookies } from './cookies.js';
import { isSameOrigin } from './csrf.js';
import type { FlowContext } from './login.js';
import { confirmPage, problemPage, redirectAnswer } from './pages.js';
import type { ExpiringSet, SessionRevocationList } from './revocation.js';
import { endSessionCookies, readSession } from './state.js';

/** What logout needs beyond the login flow. */
export interface LogoutContext extends FlowContext {
  revocations: SessionRevocationList;
  /** Logout-token `jti`s already seen (replay protection). */
  seenLogoutTokens: ExpiringSet;
}

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token older than this (by `iat`) is refused, so `jti`s need only be kept this long. */
const MAX_TOKEN_AGE_SECONDS = 300;
/** Clock skew tolerated between the provider and this server. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * `GET|POST /auth/logout`. A POST must be same-origin; a GET without `Sec-Fetch-Site: same-origin` only
 * gets a confirmation page whose button POSTs (logout CSRF).
 * @example
 * const answer = await logout(ctx, request); // 303 to the provider's end_session_endpoint
 */
export async function logout(ctx: LogoutContext, request: AuthRequest): Promise<HttpAnswer> {
  const { options } = ctx;
  if (request.method === 'POST' && !isSameOrigin(request, options.origin)) {
    return problemPage(request, {
      status: 403,
      title: 'Cross-site request refused',
      detail: 'Sign out from this site itself.',
    });
  }
  // Logout CSRF: only a GET that is provably same-origin (Fetch Metadata) ends the session at once; any
  // other GET (no `Sec-Fetch-Site`, older browsers, `none`, `same-site`, `cross-site`) gets a page whose
  // button POSTs, and that POST passes the origin check above.
  if (request.method !== 'POST' && firstHeader(request, 'sec-fetch-site') !== 'same-origin') {
    return confirmPage(options.paths.logout, 'Sign out');
  }
  const cookies = parseCookies(request);
  const setCookies = endSessionCookies(cookies, options);
  const data = await readSession(cookies, ctx.sessionSealer, options);
  if (!data) return redirectAnswer(options.postLogoutRedirectUri, setCookies);
  const at = Math.floor(options.clock() / 1000);
  // Best effort: the cookie is cleared whatever happens; a store outage must not block signing out.
  await ctx.revocations
    .revoke({ id: data.id, at, until: data.createdAt + options.absoluteTimeoutSeconds })
    .catch(() => undefined);
  let config: client.Configuration;
  try {
    config = (await ctx.provider.get()).config;
  } catch {
    return redirectAnswer(options.postLogoutRedirectUri, setCookies);
  }
  if (data.refreshToken && config.serverMetadata().revocation_endpoint) {
    await client
      .tokenRevocation(config, data.refreshToken, { token_type_hint: 'refresh_token' })
      .catch(() => undefined);
  }
  if (!config.serverMetadata().end_session_endpoint)
    return redirectAnswer(options.postLogoutRedirectUri, setCookies);
  const location = client.buildEndSessionUrl(config, {
    id_token_hint: data.idToken,
    post_logout_redirect_uri: options.postLogoutRedirectUri,
  });
  return redirectAnswer(location.href, setCookies);
}

function backchannelError(status: number, description: string): HttpAnswer {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...(status === 503 ? { 'retry-after': '5' } : {}),
    },
    body: JSON.stringify({
      error: status === 503 ? 'temporarily_unavailable' : 'invalid_request',
      error_description: description,
    }),
  };
}

/**
 * `POST /auth/backchannel-logout` with form field `logout_token`: verifies the logout token (§2.6:
 * signature by the provider's keys, `iss`, `aud`, `iat`, `jti` not replayed, the back-channel
 * `events` member, no `nonce`, `sid` or `sub`) and ends the matching sessions. 200 or 400 (§2.8).
 * @example
 * const answer = await backchannelLogout(ctx, request); // { status: 200, … }
 */
export async function backchannelLogout(ctx: LogoutContext, request: AuthRequest): Promise<HttpAnswer> {
  const { options } = ctx;
  const type = firstHeader(request, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  const body = request.body && type === 'application/x-www-form-urlencoded' ? await request.body() : '';
  const token = body.length <= 65_536 ? new URLSearchParams(body).get('logout_token') : null;
  if (!token) return backchannelError(400, 'A logout_token form parameter is required.');
  let provider: Awaited<ReturnType<typeof ctx.provider.get>>;
  try {
    provider = await ctx.provider.get();
  } catch {
    return backchannelError(503, 'The identity provider is unreachable.');
  }
  const now = Math.floor(options.clock() / 1000);
  const verified = await verifyLogoutToken(options, provider.jwks, token);
  if ('status' in verified) return verified;
  const { claims, sid, sub } = verified;
  if (ctx.seenLogoutTokens.has(claims.jti, now))
    return backchannelError(400, 'The logout token was already used.');
  ctx.seenLogoutTokens.add(claims.jti, claims.iat + MAX_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS * 2, now);
  const until = now + options.absoluteTimeoutSeconds;
  await ctx.revocations.revoke(sid ? { sid, at: now, until } : { sub: sub!, at: now, until });
  return { status: 200, headers: { 'cache-control': 'no-store' }, body: '' };
}

/** A verified logout token's claims, with its `jti` and the session (`sid`) or user (`sub`) it ends. */
interface LogoutClaims {
  readonly claims: Record<string, unknown> & { jti: string; iat: number };
  readonly sid: string | undefined;
  readonly sub: string | undefined;
}

/**
 * §2.6: the logout token's signature, `iss`, `aud`, `iat`, `typ` and members (the back-channel
 * event, no `nonce`, a `sid` or `sub`, a `jti`); else the 400 (or 503 for unreachable keys) to send.
 */
async function verifyLogoutToken(
  options: LogoutContext['options'],
  jwks: JWTVerifyGetKey,
  token: string,
): Promise<LogoutClaims | HttpAnswer> {
  let claims: Record<string, unknown>;
  try {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: options.issuer,
      audience: options.clientId,
      // Asymmetric only, as for access tokens (RFC 8725 §3.1).
      algorithms: [...SUPPORTED_ALGORITHMS],
      requiredClaims: ['iat', 'jti', 'events'],
      maxTokenAge: MAX_TOKEN_AGE_SECONDS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(options.clock()),
    });
    if (
      protectedHeader.typ !== undefined &&
      !/^(application\/)?(logout\+jwt|jwt)$/i.test(protectedHeader.typ)
    )
      throw new Error('typ');
    claims = payload;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof TypeError || code === 'ERR_JWKS_TIMEOUT')
      return backchannelError(503, 'The identity provider is unreachable.');
    return backchannelError(400, 'The logout token is not valid.');
  }
  const events = claims.events as Record<string, unknown> | undefined;
  const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
  const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
  const event = typeof events === 'object' && events !== null ? events[BACKCHANNEL_EVENT] : undefined;
  if (
    typeof event !== 'object' ||
    event === null ||
    'nonce' in claims ||
    (!sid && !sub) ||
    typeof claims.jti !== 'string'
  ) {
    return backchannelError(400, 'The logout token is not valid.');
  }
  return { claims: claims as LogoutClaims['claims'], sid, sub };
}
