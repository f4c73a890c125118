/**
 * Two guards sharing one DPoP replay store (RFC 9449 §11.1), the way two instances of an API share
 * a database: a proof the first accepted must be refused by the second. Used by the replay-store
 * tests of the PostgreSQL and Redis packages.
 */
import { type AuthRequest, createGuard, type Guard, type ReplayStore } from '@restguard/core';
import { createDpopProver, createTestIssuer, type TestIssuer } from '@restguard/testing';
import { expect } from 'vitest';

/** The issuer and the two guards of {@link startGuardsSharingReplayStore}. */
export interface SharedReplayGuards {
  readonly issuer: TestIssuer;
  readonly guards: readonly [Guard, Guard];
  /** Closes the guards and the issuer (the stores stay with their opener). */
  close(): Promise<void>;
}

/**
 * A test issuer (audience `https://api.example`) and two guards, each with its own replay store
 * from `openStore` (on one shared database).
 * @example
 * const shared = await startGuardsSharingReplayStore(() => createRedisReplayStore({ url }));
 */
export async function startGuardsSharingReplayStore(
  openStore: () => ReplayStore,
): Promise<SharedReplayGuards> {
  const issuer = await createTestIssuer({ audience: 'https://api.example' });
  const guard = () =>
    createGuard({
      tokens: {
        issuers: [{ issuer: issuer.url, audience: issuer.audience }],
        fetch: issuer.fetch,
        allowInsecureRequests: true,
      },
      dpop: { replayStore: openStore() },
    });
  const guards = [guard(), guard()] as const;
  return {
    issuer,
    guards,
    async close() {
      await Promise.all(guards.map((each) => each.close()));
      await issuer.close();
    },
  };
}

/**
 * A `GET https://api.example/api/notes` request with a fresh DPoP-bound token and its proof.
 * @example
 * const request = await dpopRequest(shared.issuer);
 * expect((await shared.guards[0].decide(request)).allow).toBe(true);
 */
export async function dpopRequest(issuer: TestIssuer): Promise<AuthRequest> {
  const prover = await createDpopProver();
  const token = await issuer.mint({ scope: 'read', cnf: { jkt: prover.jkt } });
  const proof = await prover.proof({
    htm: 'GET',
    htu: 'https://api.example/api/notes',
    accessToken: token,
  });
  return {
    method: 'GET',
    url: '/api/notes',
    tls: true,
    headers: (name) =>
      name === 'authorization'
        ? [`DPoP ${token}`]
        : name === 'dpop'
          ? [proof]
          : name === 'host'
            ? ['api.example']
            : [],
  };
}

/**
 * A DPoP-bound request the first guard accepts is refused by the second as a replay
 * (`invalid_dpop_proof`): the replay store is shared.
 * @example
 * await expectReplayRefusedBySecondGuard(shared);
 */
export async function expectReplayRefusedBySecondGuard(shared: SharedReplayGuards): Promise<void> {
  const request = await dpopRequest(shared.issuer);
  expect((await shared.guards[0].decide(request)).allow).toBe(true);
  const replayed = await shared.guards[1].decide(request);
  expect(replayed.allow).toBe(false);
  if (!replayed.allow) expect(JSON.parse(replayed.answer.body).error).toBe('invalid_dpop_proof');
}
