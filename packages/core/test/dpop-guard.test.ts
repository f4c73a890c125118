/**
 * DPoP (RFC 9449) through the guard: one test per §4.3 check, the §7.1 challenge, §7.2 bound tokens as
 * bearer tokens, the per-issuer policy, §8 nonces and §11.1 replay (two guards sharing one store).
 * Real tokens from a test issuer over a real socket; real proofs signed with real keys.
 */
import { createDpopProver, createTestIssuer, type DpopProver, type TestIssuer } from '@restguard/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthRequest,
  createGuard,
  createMemoryReplayStore,
  type Decision,
  type GuardOptions,
} from '../src/index.js';

let issuer: TestIssuer;
let prover: DpopProver;
let bound: string;
let unbound: string;
const ORIGIN = 'https://api.example';
const HTU = `${ORIGIN}/api/notes`;

beforeAll(async () => {
  issuer = await createTestIssuer({ audience: 'https://api.example' });
  prover = await createDpopProver();
  bound = await issuer.mint({ scope: 'read', cnf: { jkt: prover.jkt } });
  unbound = await issuer.mint({ scope: 'read' });
});
afterAll(() => issuer.close());

function guardWith(dpop: GuardOptions['dpop'] = {}, extra: Partial<GuardOptions> = {}) {
  return createGuard({
    tokens: {
      issuers: [{ issuer: issuer.url, audience: issuer.audience }],
      fetch: issuer.fetch,
      allowInsecureRequests: true,
    },
    dpop,
    ...extra,
  });
}

function request(
  headers: Record<string, string | string[]>,
  method = 'GET',
  url = '/api/notes',
): AuthRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method,
    url,
    tls: true,
    headers: (name) => {
      const value = name === 'host' ? 'api.example' : lower[name];
      return value === undefined ? [] : Array.isArray(value) ? value : [value];
    },
  };
}

const dpopRequest = (token: string, proof: string | string[], method = 'GET', url = '/api/notes') =>
  request({ authorization: `DPoP ${token}`, dpop: proof }, method, url);

function refusal(decision: Decision) {
  if (decision.allow) throw new Error('expected a refusal');
  const { status, headers, body } = decision.answer;
  return { status, challenge: String(headers['www-authenticate']), body: JSON.parse(body), headers };
}

describe('a valid proof', () => {
  it('lets a DPoP-bound token through with the DPoP scheme', async () => {
    const guard = guardWith();
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    const decision = await guard.decide(dpopRequest(bound, proof), ['read']);
    expect(decision.allow && decision.principal?.subject).toBeTruthy();
  });

  it('matches htu after normalisation: case, default port, query and fragment ignored (§4.3 step 9)', async () => {
    const guard = guardWith();
    const proof = await prover.proof({
      htm: 'GET',
      htu: 'HTTPS://API.Example:443/api/notes?x=1#f',
      accessToken: bound,
    });
    const decision = await guard.decide(dpopRequest(bound, proof, 'GET', '/api/notes?y=2'));
    expect(decision.allow).toBe(true);
  });

  it('uses the configured public origin, not the Host header, behind a proxy', async () => {
    const guard = guardWith({ origin: 'https://public.example' });
    const wrongHost = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    expect(refusal(await guard.decide(dpopRequest(bound, wrongHost))).body.error).toBe('invalid_dpop_proof');
    const right = await prover.proof({
      htm: 'GET',
      htu: 'https://public.example/api/notes',
      accessToken: bound,
    });
    expect((await guard.decide(dpopRequest(bound, right))).allow).toBe(true);
  });
});

describe('RFC 9449 §4.3 checks, each refused with invalid_dpop_proof', () => {
  const refusedWith = async (proof: string | string[], token = bound, method = 'GET') => {
    const answer = refusal(await guardWith().decide(dpopRequest(token, proof, method)));
    expect(answer.status).toBe(401);
    return answer;
  };

  it('step 1: no proof, or two proofs', async () => {
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    expect((await refusedWith([])).body.error).toBe('invalid_dpop_proof');
    expect((await refusedWith([proof, proof])).body.error).toBe('invalid_dpop_proof');
  });

  it('step 2: not a JWT', async () => {
    expect((await refusedWith('not.a.jwt')).body.error).toBe('invalid_dpop_proof');
  });

  it('step 3: a required claim missing (htm)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const proof = await new SignJWT({ jti: 'x', htu: HTU })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
      .setIssuedAt()
      .sign(privateKey);
    expect((await refusedWith(proof)).body.error).toBe('invalid_dpop_proof');
  });

  it('step 4: typ other than dpop+jwt', async () => {
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound, typ: 'JWT' });
    expect((await refusedWith(proof)).body.error).toBe('invalid_dpop_proof');
  });

  it('step 5: a symmetric algorithm, or one outside the allow-list', async () => {
    const hmac = await new SignJWT({ jti: 'x', htm: 'GET', htu: HTU })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'AAAA' } as never })
      .setIssuedAt()
      .sign(new Uint8Array(32));
    expect((await refusedWith(hmac)).body.error).toBe('invalid_dpop_proof');
    const guard = guardWith({ algorithms: ['PS256'] });
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    expect(refusal(await guard.decide(dpopRequest(bound, proof))).body.error).toBe('invalid_dpop_proof');
  });

  it('step 6: a signature that does not verify with the embedded key', async () => {
    const other = await createDpopProver();
    const proof = await other.proof({ htm: 'GET', htu: HTU, accessToken: bound, jwk: prover.publicJwk });
    expect((await refusedWith(proof)).body.error).toBe('invalid_dpop_proof');
  });

  it('step 7: a private key in the header', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const proof = await new SignJWT({ jti: 'x', htm: 'GET', htu: HTU })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk })
      .setIssuedAt()
      .sign(privateKey);
    expect((await refusedWith(proof)).body.error).toBe('invalid_dpop_proof');
  });

  it('step 8: another method', async () => {
    const proof = await prover.proof({ htm: 'POST', htu: HTU, accessToken: bound });
    expect((await refusedWith(proof)).body.error).toBe('invalid_dpop_proof');
  });

  it('step 9: another URL', async () => {
    const proof = await prover.proof({ htm: 'GET', htu: `${ORIGIN}/api/other`, accessToken: bound });
    expect((await refusedWith(proof)).body.error).toBe('invalid_dpop_proof');
    const otherHost = await prover.proof({
      htm: 'GET',
      htu: 'https://evil.example/api/notes',
      accessToken: bound,
    });
    expect((await refusedWith(otherHost)).body.error).toBe('invalid_dpop_proof');
  });

  it('step 11: iat too old, or in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound, iat: now - 301 });
    expect((await refusedWith(old)).body.error).toBe('invalid_dpop_proof');
    const future = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound, iat: now + 120 });
    expect((await refusedWith(future)).body.error).toBe('invalid_dpop_proof');
  });

  it('step 12: ath of another token (a proof for another token)', async () => {
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: unbound });
    expect((await refusedWith(proof)).body.error).toBe('invalid_dpop_proof');
  });

  it('step 12: a stolen token with another key (jkt mismatch) is invalid_token', async () => {
    const thief = await createDpopProver();
    const proof = await thief.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    const answer = await refusedWith(proof);
    expect(answer.body.error).toBe('invalid_token');
    expect(answer.challenge).toMatch(/DPoP algs="[^"]+", error="invalid_token"/);
  });

  it('an unbound token with the DPoP scheme is invalid_token', async () => {
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: unbound });
    expect((await refusedWith(proof, unbound)).body.error).toBe('invalid_token');
  });
});

describe('introspected tokens', () => {
  it('are bound through the cnf.jkt of the introspection answer', async () => {
    const guard = createGuard({
      tokens: {
        issuers: [{ issuer: issuer.url, audience: issuer.audience, introspection: { ...issuer.client } }],
        fetch: issuer.fetch,
        allowInsecureRequests: true,
      },
      dpop: {},
    });
    const opaque = issuer.mintOpaque({ scope: 'read', cnf: { jkt: prover.jkt } });
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: opaque });
    expect((await guard.decide(dpopRequest(opaque, proof))).allow).toBe(true);
    const thief = await createDpopProver();
    const stolen = await thief.proof({ htm: 'GET', htu: HTU, accessToken: opaque });
    expect(refusal(await guard.decide(dpopRequest(opaque, stolen))).body.error).toBe('invalid_token');
    const asBearer = refusal(await guard.decide(request({ authorization: `Bearer ${opaque}` })));
    expect(asBearer.body.error).toBe('invalid_token');
  });
});

describe('replay (§11.1)', () => {
  it('refuses a proof used twice on one guard', async () => {
    const guard = guardWith();
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    expect((await guard.decide(dpopRequest(bound, proof))).allow).toBe(true);
    const answer = refusal(await guard.decide(dpopRequest(bound, proof)));
    expect(answer.body.error).toBe('invalid_dpop_proof');
  });

  it('refuses a proof replayed against a second guard sharing the store', async () => {
    const replayStore = createMemoryReplayStore();
    const [a, b] = [guardWith({ replayStore }), guardWith({ replayStore })];
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    expect((await a.decide(dpopRequest(bound, proof))).allow).toBe(true);
    expect(refusal(await b.decide(dpopRequest(bound, proof))).body.error).toBe('invalid_dpop_proof');
  });

  it('the memory store is bounded: full of live keys it fails closed (503), expired keys make room', async () => {
    let now = 1_000_000;
    const store = createMemoryReplayStore({ maxEntries: 2, clock: () => now });
    expect(await store.claim('a', 10)).toBe(true);
    expect(await store.claim('b', 10)).toBe(true);
    await expect(store.claim('c', 10)).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(await store.claim('a', 10)).toBe(false);
    now += 10_001;
    expect(await store.claim('c', 10)).toBe(true);
    expect(await store.claim('a', 10)).toBe(true);
  });
});

describe('§7: challenges, bearer use of bound tokens and the policy', () => {
  it('a 401 without credential carries DPoP algs beside Bearer', async () => {
    const guard = guardWith({ algorithms: ['ES256', 'EdDSA'] });
    const answer = refusal(await guard.decide(request({})));
    expect(answer.challenge).toBe('Bearer realm="restguard", DPoP algs="ES256 EdDSA"');
  });

  it('a DPoP-bound token sent as Bearer is refused (§7.2), with or without the dpop option', async () => {
    for (const guard of [guardWith(), createGuard({ tokens: guardWith().options.tokens! })]) {
      const answer = refusal(await guard.decide(request({ authorization: `Bearer ${bound}` })));
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_token');
    }
  });

  it('policy allowed (default) takes unbound bearer tokens; required refuses them per issuer', async () => {
    const bearer = request({ authorization: `Bearer ${unbound}` });
    expect((await guardWith().decide(bearer)).allow).toBe(true);
    const required = guardWith({ policy: { [issuer.url]: 'required' } });
    const answer = refusal(await required.decide(bearer));
    expect(answer.body.error).toBe('invalid_token');
    expect(answer.challenge).toMatch(
      /^Bearer realm="restguard", error="invalid_token".*, DPoP algs="[^"]+"$/,
    );
    expect((await guardWith({ policy: { 'https://other.example': 'required' } }).decide(bearer)).allow).toBe(
      true,
    );
  });

  it('puts insufficient_scope on the DPoP challenge for a DPoP request, through decide and enforce', async () => {
    const guard = guardWith({ algorithms: ['ES256'] });
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    const answer = refusal(await guard.decide(dpopRequest(bound, proof), ['write']));
    expect(answer.status).toBe(403);
    expect(answer.challenge).toBe(
      'Bearer realm="restguard", DPoP algs="ES256", error="insufficient_scope", error_description="The credential lacks the required scope: write.", scope="write"',
    );
    const proof2 = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    const decision = await guard.decide(dpopRequest(bound, proof2));
    const principal = decision.allow ? decision.principal : null;
    const enforced = guard.enforce(principal, ['write'], () => dpopRequest(bound, proof2));
    expect(enforced?.headers['www-authenticate']).toBe(answer.challenge);
  });

  it('the DPoP scheme is not accepted when dpop is not configured', async () => {
    const guard = createGuard({ tokens: guardWith().options.tokens! });
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    expect((await guard.decide(dpopRequest(bound, proof))).allow).toBe(false);
  });

  it('refuses invalid options at start-up', () => {
    expect(() => guardWith({ policy: 'sometimes' as never })).toThrow(/policy/);
    expect(() => guardWith({ algorithms: ['HS256' as never] })).toThrow(/algorithms/);
    expect(() => guardWith({ nonce: { secret: 'short' } })).toThrow(/secret/);
  });
});

describe('server nonces (§8)', () => {
  const secret = 'a-nonce-secret-of-at-least-32-bytes!!';

  it('asks for a nonce, accepts it, and refuses it two windows later', async () => {
    let now = Date.now();
    const guard = guardWith({ nonce: { secret, rotateSeconds: 60 }, clock: () => now });
    const first = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound });
    const asked = refusal(await guard.decide(dpopRequest(bound, first)));
    expect(asked.body.error).toBe('use_dpop_nonce');
    expect(asked.challenge).toMatch(/DPoP algs="[^"]+", error="use_dpop_nonce"/);
    const nonce = String(asked.headers['dpop-nonce']);
    expect(nonce.length).toBeGreaterThan(10);

    const withNonce = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound, nonce });
    const ok = await guard.decide(dpopRequest(bound, withNonce));
    expect(ok.allow && ok.headers['dpop-nonce']).toBe(nonce);

    now += 61_000; // the previous window's nonce still works
    const later = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound, nonce });
    const rotated = await guard.decide(dpopRequest(bound, later));
    expect(rotated.allow && rotated.headers['dpop-nonce']).not.toBe(nonce);

    now += 120_000; // two windows on: stale
    const stale = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound, nonce });
    const refused = refusal(await guard.decide(dpopRequest(bound, stale)));
    expect(refused.body.error).toBe('use_dpop_nonce');
    expect(refused.headers['dpop-nonce']).not.toBe(nonce);
  });

  it('instances sharing the secret accept each other’s nonces', async () => {
    const [a, b] = [guardWith({ nonce: { secret } }), guardWith({ nonce: { secret } })];
    const asked = refusal(
      await a.decide(dpopRequest(bound, await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound }))),
    );
    const nonce = String(asked.headers['dpop-nonce']);
    const proof = await prover.proof({ htm: 'GET', htu: HTU, accessToken: bound, nonce });
    expect((await b.decide(dpopRequest(bound, proof))).allow).toBe(true);
  });
});
