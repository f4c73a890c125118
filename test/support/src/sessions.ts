/**
 * Core's session fixtures (the OpenID Provider on a loopback socket and the login harness), for the
 * store packages' session tests. They stay beside core's own session tests, which use them too:
 * core cannot depend on this package (it depends on core), so this one relative path is the only
 * place outside core that names them.
 */
import type { RevocableSession, SessionRevocationList } from '@restguard/core';
import { expect } from 'vitest';
import { refreshOnTwoInstancesAtOnce } from '../../../packages/core/src/session/__fixtures__/harness.js';
import { startTestProvider } from '../../../packages/core/src/session/__fixtures__/provider.js';

export type {
  ProviderBehaviour,
  TestProvider,
} from '../../../packages/core/src/session/__fixtures__/provider.js';
export { refreshOnTwoInstancesAtOnce, startTestProvider };

/** Now, in whole seconds. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * A session of `alice` begun 10 s ago, with a random id and provider session id; `over` replaces fields.
 * @example
 * await list.revoke({ id: revocableSession().id, at: nowSeconds(), until: nowSeconds() + 60 });
 */
export function revocableSession(over: Partial<RevocableSession> = {}): RevocableSession {
  return {
    id: `s-${Math.random().toString(36).slice(2)}`,
    sid: `op-${Math.random().toString(36).slice(2)}`,
    sub: 'alice',
    createdAt: nowSeconds() - 10,
    ...over,
  };
}

/**
 * Two instances on one shared store see a session due for a refresh at once: exactly one refresh
 * reaches the provider, the loser serves the still-valid access token (no cookie, never an ended
 * session) and both accept the refreshed cookie later. Starts and closes its own provider.
 * @example
 * await expectOneRefreshOnTwoInstances([a.sessionRevocations(), b.sessionRevocations()]);
 */
export async function expectOneRefreshOnTwoInstances(
  lists: [SessionRevocationList, SessionRevocationList],
): Promise<void> {
  const provider = await startTestProvider();
  try {
    const { refreshCalls, answers, after } = await refreshOnTwoInstancesAtOnce(provider, lists);
    expect(refreshCalls).toBe(1);
    // The loser serves the still-valid access token: no cookie, never an ended session.
    expect(answers.map((answer) => answer?.principal?.subject)).toEqual(['alice', 'alice']);
    expect(answers.map((answer) => answer?.setCookies.length).sort()).toEqual([0, 1]);
    expect(after.map((answer) => answer?.principal?.subject)).toEqual(['alice', 'alice']);
    expect(refreshCalls).toBe(1);
  } finally {
    await provider.close();
  }
}

/**
 * A claim on a key is won once while it lives (by either instance), and again once it has lapsed.
 * @example
 * await expectClaimOnceWhileItLives(a.sessionRevocations(), b.sessionRevocations());
 */
export async function expectClaimOnceWhileItLives(
  a: SessionRevocationList,
  b: SessionRevocationList,
): Promise<void> {
  expect(await a.claim!('s:1', nowSeconds() + 30)).toBe(true);
  expect(await b.claim!('s:1', nowSeconds() + 30)).toBe(false);
  expect(await b.claim!('s:2', nowSeconds() - 1)).toBe(true);
  expect(await a.claim!('s:2', nowSeconds() + 30)).toBe(true);
}
