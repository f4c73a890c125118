/**
 * Access-token refresh (RFC 6749 §6) before expiry, one refresh in flight per session: requests that
 * arrive with the same session generation share one call, and for a short while afterwards a request
 * still carrying the old cookie gets the same result instead of replaying a rotated refresh token
 * (which providers treat as theft, RFC 9700 §4.14.2, and answer by revoking the grant). With a shared
 * revocation list, the refresh of a session generation is marked there (as the id `refresh:…`) once
 * it is refreshed, so another instance seeing the same generation later does not replay it; and
 * before calling the provider an instance claims the generation (`claim`), so of instances refreshing
 * in the same instant only one calls.
 */
import * as client from 'openid-client';
import { isRestguardError, UnavailableError } from '../errors.js';
import { resourceParams } from './login.js';
import { classifyProviderError, type ProviderClient } from './oidc.js';
import type { ResolvedSessionOptions } from './options.js';
import { ExpiringSet, type RevocableSession, type SessionRevocationList } from './revocation.js';
import { type SessionData, sessionScopes } from './state.js';

/**
 * The result of a refresh: the next session; `{ ok: false }` when the provider refused it; or
 * `{ ok: false, elsewhere: true }` when another instance already refreshed this generation (the
 * browser gets its cookie from that instance's answer; the session is not ended).
 */
export type RefreshResult = { ok: true; data: SessionData } | { ok: false; elsewhere?: true };

/** How long a finished refresh is remembered for stale cookies of the same generation (seconds). */
const REMEMBER_SECONDS = 60;
/** After a failed (unreachable) refresh, the next attempt waits this long (seconds). */
const RETRY_SECONDS = 5;
/** How long an instance's claim on refreshing a session generation holds (seconds). */
const CLAIM_SECONDS = 30;
/** At most this many sessions' refreshes are remembered. */
const CAPACITY = 10_000;

/** Refreshes sessions, single-flight per session id and generation. */
export interface Refresher {
  /** True when `data`'s access token is due for a refresh. */
  due(data: SessionData): boolean;
  /** The refreshed session; `{ ok: false }` when refused; throws {@link UnavailableError} when unreachable. */
  refresh(data: SessionData): Promise<RefreshResult>;
  /** Number of refreshes remembered (for tests). */
  readonly size: number;
}

/**
 * Creates the {@link Refresher}.
 * @example
 * const refresher = createRefresher(options, provider);
 * if (refresher.due(data)) await refresher.refresh(data);
 */
export function createRefresher(
  options: ResolvedSessionOptions,
  provider: ProviderClient,
  shared?: SessionRevocationList,
): Refresher {
  const parts: RefresherParts = { options, provider, shared, claimed: new ExpiringSet(CAPACITY) };
  const flights = new Map<string, { promise: Promise<RefreshResult>; until: number }>();
  const now = () => nowSeconds(options);
  return {
    due(data) {
      const lifetime = data.tokenExpiresAt - data.tokenIssuedAt;
      const margin = Math.min(options.refreshBeforeExpirySeconds, Math.max(0, lifetime) / 2);
      return now() >= data.tokenExpiresAt - margin;
    },
    refresh(data) {
      const key = `${data.id}:${data.generation}`;
      const existing = flights.get(key);
      if (existing && existing.until > now()) return existing.promise;
      pruneFlights(flights, now());
      const promise = callProvider(parts, data);
      const entry = { promise, until: Number.POSITIVE_INFINITY };
      flights.set(key, entry);
      promise.then(
        () => {
          entry.until = now() + REMEMBER_SECONDS;
        },
        () => {
          entry.until = now() + RETRY_SECONDS; // unreachable: retried after a short backoff
        },
      );
      return promise;
    },
    get size() {
      return flights.size;
    },
  };
}

/** What the refresh call needs: the options, the provider, the shared list and the claims won. */
interface RefresherParts {
  readonly options: ResolvedSessionOptions;
  readonly provider: ProviderClient;
  readonly shared: SessionRevocationList | undefined;
  /** Refresh claims this instance won, while they hold. */
  readonly claimed: ExpiringSet;
}

/** The clock in whole seconds. */
const nowSeconds = (options: ResolvedSessionOptions) => Math.floor(options.clock() / 1000);

/** Drops the flights past their time, then the oldest while at capacity. */
function pruneFlights(flights: Map<string, { until: number }>, at: number): void {
  for (const [key, flight] of flights) if (flight.until <= at) flights.delete(key);
  while (flights.size >= CAPACITY) flights.delete(flights.keys().next().value!);
}

/** The marker of a refreshed session generation in the shared revocation list. */
function refreshMarker(data: SessionData): RevocableSession {
  return { id: `refresh:${data.id}:${data.generation}`, sub: '', createdAt: Number.MAX_SAFE_INTEGER };
}

/**
 * True when another instance refreshed this generation already (its refresh token is spent), or
 * holds the claim to: two instances seeing the generation due in the same instant, only the claim's
 * winner calls the provider. The claim lapses so an unreachable provider is retried; a claim this
 * instance already holds (an earlier attempt found the provider unreachable) is kept.
 */
async function refreshedElsewhere(parts: RefresherParts, data: SessionData): Promise<boolean> {
  const { shared, claimed, options } = parts;
  if (shared && (await shared.isRevoked(refreshMarker(data)))) return true;
  const key = `${data.id}:${data.generation}`;
  if (shared?.claim && !claimed.has(key, nowSeconds(options))) {
    if (!(await shared.claim(key, nowSeconds(options) + CLAIM_SECONDS))) return true;
    claimed.add(key, nowSeconds(options) + CLAIM_SECONDS, nowSeconds(options));
  }
  return false;
}

/** One refresh token grant (RFC 6749 §6) for a session generation, unless refreshed elsewhere. */
async function callProvider(parts: RefresherParts, data: SessionData): Promise<RefreshResult> {
  if (!data.refreshToken) return { ok: false };
  if (await refreshedElsewhere(parts, data)) return { ok: false, elsewhere: true };
  const { options, shared } = parts;
  try {
    const { config } = await parts.provider.get();
    const tokens = await client.refreshTokenGrant(config, data.refreshToken, resourceParams(options));
    const claims = tokens.claims();
    // OIDC Core §12.2: a refreshed ID token must be about the same user.
    if (claims && claims.sub !== data.sub) return { ok: false };
    const issuedAt = nowSeconds(options);
    // Marked once refreshed (an unreachable provider leaves no mark, so the refresh is retried once
    // the claim lapses).
    await shared
      ?.revoke({
        id: refreshMarker(data).id,
        at: issuedAt,
        until: data.createdAt + options.absoluteTimeoutSeconds,
      })
      .catch(() => undefined);
    return {
      ok: true,
      data: {
        ...data,
        idToken: tokens.id_token ?? data.idToken,
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token ?? data.refreshToken,
        scopes: await sessionScopes(options, tokens.access_token, tokens.scope, data.scopes),
        tokenIssuedAt: issuedAt,
        tokenExpiresAt: issuedAt + (tokens.expiresIn() ?? 300),
        touchedAt: issuedAt,
        generation: data.generation + 1,
      },
    };
  } catch (err) {
    if (isRestguardError(err) && err.code === 'ERR_UNAVAILABLE') throw err;
    if (classifyProviderError(err).kind === 'unavailable') {
      throw new UnavailableError('The identity provider is unreachable.', { cause: err });
    }
    return { ok: false };
  }
}
