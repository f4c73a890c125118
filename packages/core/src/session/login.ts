/**
 * Login and callback: the OAuth 2.0 authorization-code flow of OpenID Connect Core 1.0 §3.1 with
 * PKCE S256 (RFC 7636 §4), `state` (RFC 6749 §10.12), `nonce` (OIDC Core §3.1.2.1), the RFC 9207
 * `iss` response parameter (checked by openid-client when the provider offers it) and RFC 8707
 * resource indicators. The pending transaction lives in a short-lived sealed cookie; each
 * transaction can be completed once (replays are refused).
 */
import * as client from 'openid-client';
import type { HttpAnswer } from '../errors.js';
import type { AuthRequest } from '../request.js';
import { parseCookies, serializeCookie } from './cookies.js';
import { classifyProviderError, type ProviderClient } from './oidc.js';
import type { ResolvedSessionOptions } from './options.js';
import { problemPage, redirectAnswer } from './pages.js';
import { safeReturnTo } from './return-to.js';
import type { ExpiringSet, RevocableSession, SessionRevocationList } from './revocation.js';
import type { Sealer } from './seal.js';
import { type SessionData, sessionScopes, writeSession } from './state.js';

/** What the login and callback routes share. */
export interface FlowContext {
  options: ResolvedSessionOptions;
  provider: ProviderClient;
  sessionSealer: Sealer;
  transactionSealer: Sealer;
  /** States already completed (or attempted), until their transaction expires. */
  usedStates: ExpiringSet;
  /**
   * The shared list of ended sessions: used states are written there too (as the id `state:…`), so a
   * callback replayed on another instance sharing the list is refused as well.
   */
  revocations: SessionRevocationList;
}

/** A used login state, as the revocation list sees it (an id that no real session has). */
const usedState = (state: string): RevocableSession => ({
  id: `state:${state}`,
  sub: '',
  createdAt: Number.MAX_SAFE_INTEGER,
});

const now = (ctx: FlowContext) => Math.floor(ctx.options.clock() / 1000);

/** The `resource` parameters (RFC 8707 §2), one per audience. */
export function resourceParams(options: ResolvedSessionOptions): URLSearchParams {
  const params = new URLSearchParams();
  for (const resource of options.resources) params.append('resource', resource);
  return params;
}

function unavailable(request: AuthRequest, setCookies: string[] = []): HttpAnswer {
  const answer = problemPage(
    request,
    {
      status: 503,
      title: 'Sign-in unavailable',
      detail: 'The identity provider cannot be reached. Please try again shortly.',
    },
    setCookies,
  );
  answer.headers['retry-after'] = '5';
  return answer;
}

/**
 * `GET /auth/login[?returnTo=/path]`: redirects to the provider's authorization endpoint.
 * @example
 * const answer = await startLogin(ctx, request); // 303 to https://idp.example/auth?…
 */
export async function startLogin(ctx: FlowContext, request: AuthRequest): Promise<HttpAnswer> {
  const { options } = ctx;
  let config: client.Configuration;
  try {
    config = (await ctx.provider.get()).config;
  } catch {
    return unavailable(request);
  }
  const state = client.randomState();
  const nonce = client.randomNonce();
  const verifier = client.randomPKCECodeVerifier();
  const params = new URLSearchParams({
    ...options.authorizationParams,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: options.scopes.join(' '),
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  // OIDC Core §11: offline access needs prompt=consent unless the caller chose a prompt.
  if (options.scopes.includes('offline_access') && !params.has('prompt')) params.set('prompt', 'consent');
  for (const [key, value] of resourceParams(options)) params.append(key, value);
  const returnTo = safeReturnTo(new URL(request.url, options.origin).searchParams.get('returnTo'));
  const ttl = options.transactionTimeoutSeconds;
  const sealed = await ctx.transactionSealer.seal({ state, nonce, verifier, returnTo }, now(ctx) + ttl);
  const location = client.buildAuthorizationUrl(config, params).href;
  return redirectAnswer(location, [serializeCookie(options.transactionCookieName, sealed, ttl)]);
}

/**
 * `GET /auth/callback?code=…&state=…`: completes the login with every check openid-client offers,
 * sets the session cookie and redirects to `returnTo`. Failures give a problem page; the transaction
 * cookie is cleared whatever happens.
 * @example
 * const answer = await completeLogin(ctx, request); // 303 to /notes with the session cookie
 */
export async function completeLogin(ctx: FlowContext, request: AuthRequest): Promise<HttpAnswer> {
  const { options } = ctx;
  const cookies = parseCookies(request);
  const cleared = [serializeCookie(options.transactionCookieName, '', 0)];
  const fail: LoginFailure = (detail, error) =>
    problemPage(
      request,
      { status: 400, title: 'Sign-in failed', detail, ...(error ? { error } : {}) },
      cleared,
    );
  const sealed = cookies.get(options.transactionCookieName);
  const tx = readTransaction(sealed ? await ctx.transactionSealer.open(sealed) : null);
  if (!tx) return fail('No sign-in is in progress in this browser, or it has expired. Please sign in again.');
  const { state, exp } = tx;
  if (ctx.usedStates.has(state, now(ctx)) || (await ctx.revocations.isRevoked(usedState(state))))
    return fail('This sign-in response was already used. Please sign in again.');
  ctx.usedStates.add(state, exp, now(ctx));
  await ctx.revocations.revoke({ id: usedState(state).id, at: now(ctx), until: exp });
  const grant = await codeGrant(ctx, request, tx, fail, cleared);
  if ('answer' in grant) return grant.answer;
  const { tokens } = grant;
  const claims = tokens.claims();
  if (!claims || !tokens.id_token || !tokens.access_token)
    return fail('The sign-in response could not be verified.');
  let scopes: string[];
  try {
    scopes = await sessionScopes(options, tokens.access_token, tokens.scope, options.scopes);
  } catch {
    return unavailable(request, cleared);
  }
  const data = newSession(ctx, tokens, tokens.id_token, claims, scopes);
  const setCookies = await writeSession(cookies, data, ctx.sessionSealer, options);
  return redirectAnswer(tx.returnTo !== undefined ? safeReturnTo(tx.returnTo) : '/', [
    ...cleared,
    ...setCookies,
  ]);
}

/** The sign-in failure page, with its detail and, when the provider said, its `error`. */
type LoginFailure = (detail: string, error?: string) => HttpAnswer;

/** A pending login as the transaction cookie carries it. */
interface LoginTransaction {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly exp: number;
  readonly returnTo?: string;
}

/** The opened transaction cookie's members, or null when one is missing or of the wrong type. */
function readTransaction(opened: unknown): LoginTransaction | null {
  const { state, nonce, verifier, returnTo, exp } = (opened ?? {}) as Record<string, unknown>;
  if (
    typeof state !== 'string' ||
    typeof nonce !== 'string' ||
    typeof verifier !== 'string' ||
    typeof exp !== 'number'
  ) {
    return null;
  }
  return { state, nonce, verifier, exp, ...(typeof returnTo === 'string' ? { returnTo } : {}) };
}

type CodeGrantTokens = Awaited<ReturnType<typeof client.authorizationCodeGrant>>;

/**
 * The authorization code grant with every check openid-client offers (state, nonce, PKCE, ID
 * token); a refusal or an unreachable provider comes back as the answer to send.
 */
async function codeGrant(
  ctx: FlowContext,
  request: AuthRequest,
  tx: LoginTransaction,
  fail: LoginFailure,
  cleared: string[],
): Promise<{ tokens: CodeGrantTokens } | { answer: HttpAnswer }> {
  const { options } = ctx;
  const currentUrl = new URL(options.redirectUri);
  currentUrl.search = new URL(request.url, options.origin).search;
  try {
    const { config } = await ctx.provider.get();
    const tokens = await client.authorizationCodeGrant(
      config,
      currentUrl,
      {
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        pkceCodeVerifier: tx.verifier,
        idTokenExpected: true,
      },
      resourceParams(options),
    );
    return { tokens };
  } catch (err) {
    const failure = classifyProviderError(err);
    if (failure.kind === 'unavailable') return { answer: unavailable(request, cleared) };
    if (failure.kind === 'refused') {
      return {
        answer:
          failure.error === 'access_denied'
            ? fail('Sign-in was cancelled or refused at the identity provider.', failure.error)
            : fail('The identity provider refused the sign-in.', failure.error),
      };
    }
    return { answer: fail('The sign-in response could not be verified.') };
  }
}

/** A new session (generation 0) from the grant's tokens and ID token claims. */
function newSession(
  ctx: FlowContext,
  tokens: CodeGrantTokens,
  idToken: string,
  claims: NonNullable<ReturnType<CodeGrantTokens['claims']>>,
  scopes: string[],
): SessionData {
  const issuedAt = now(ctx);
  return {
    id: client.randomState(),
    iss: ctx.options.issuer,
    sub: claims.sub,
    ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
    idToken,
    accessToken: tokens.access_token,
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    scopes,
    tokenIssuedAt: issuedAt,
    tokenExpiresAt: issuedAt + (tokens.expiresIn() ?? 300),
    createdAt: issuedAt,
    touchedAt: issuedAt,
    generation: 0,
  };
}
