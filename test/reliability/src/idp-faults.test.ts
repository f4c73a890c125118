/**
 * Identity-provider faults: demo-hono against `@restguard/testing`'s issuer (real HTTPS on loopback),
 * whose discovery and JWKS endpoints refuse connections, answer 500, hang, answer garbage or a 50 MiB
 * body, then come back — at start-up (the app starts with the issuer down) and mid-run. Bounds: cached
 * keys keep working; an unknown `kid` gets 503 with `Retry-After` once a fetch has failed; no request
 * waits longer than the fetch timeout (5 s) plus 1 s; no 500; a new key is accepted within 20 s of
 * recovery.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestIssuer, type EndpointMode, type TestIssuer } from '@restguard/testing';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report, type Started, startApp, tempDir, timeUntil } from './processes.js';

const FETCH_TIMEOUT_MS = 5000;
const WAIT_BOUND_MS = FETCH_TIMEOUT_MS + 1000;
const RECOVERY_BOUND_MS = 20_000;
const ENDPOINTS = ['discovery', 'jwks'] as const;

interface Answer {
  status: number;
  retryAfter: string | null;
  ms: number;
}

describe('identity-provider faults', () => {
  let issuer: TestIssuer;
  let app: Started;
  let base: string;
  let dispatcher: Agent;
  const answers: Answer[] = [];

  const call = async (token: string): Promise<Answer> => {
    const started = performance.now();
    const res = await fetch(`${base}/api/notes`, {
      headers: { authorization: `Bearer ${token}` },
      dispatcher,
    });
    await res.arrayBuffer();
    const answer = {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      ms: performance.now() - started,
    };
    answers.push(answer);
    return answer;
  };

  beforeAll(async () => {
    issuer = await createTestIssuer({ https: true, audience: 'https://notes.restguard.test' });
    const dir = tempDir('idp');
    const caFile = path.join(dir, 'issuer-ca.pem');
    writeFileSync(caFile, issuer.caPem!);
    issuer.setMode('refuse', [...ENDPOINTS]);
    app = await startApp(
      'demo-hono',
      { PORT: '0', AUTH_ISSUER: issuer.url, NODE_EXTRA_CA_CERTS: caFile, RESTGUARD_DATA_DIR: dir },
      /development CA: \S+\n/,
    );
    const out = app.output();
    base = /listening on (https:\/\/\S+)/.exec(out)![1]!;
    dispatcher = new Agent({ connect: { ca: readFileSync(/development CA: (\S+)/.exec(out)![1]!, 'utf8') } });
  });
  afterAll(async () => {
    await app?.stop();
    await issuer?.close();
  });

  it('starts with the issuer down: 503 with Retry-After, then accepts tokens within 20 s of recovery', async () => {
    const token = await issuer.mint({ scope: 'read' });
    const down = await call(token);
    expect(down.status).toBe(503);
    expect(down.retryAfter).toMatch(/^\d+$/);
    issuer.setMode('ok');
    const recoveredMs = await timeUntil(
      async () => (await call(token)).status === 200,
      RECOVERY_BOUND_MS,
      200,
    );
    report('idp faults: start-up with the issuer down', {
      firstStatus: down.status,
      retryAfter: down.retryAfter ?? '',
      worstLatencyMs: Math.round(Math.max(...answers.map((a) => a.ms))),
      acceptedAfterRecoveryMs: recoveredMs,
      boundMs: RECOVERY_BOUND_MS,
    });
  });

  it('mid-run: cached keys keep working through each fault, an unknown kid gets 503, a new key is accepted after', async () => {
    const cached = await issuer.mint({ scope: 'read' });
    expect((await call(cached)).status).toBe(200);
    // A new signing key the app has not seen: presented only while the JWKS is failing.
    await issuer.rotate({ keepPrevious: true });
    const fresh = await issuer.mint({ scope: 'read' });
    const modes: EndpointMode[] = ['refuse', '500', 'hang', 'garbage', 'huge'];
    const figures: Record<string, string | number> = {};
    let failedOnce = false;
    for (const mode of modes) {
      issuer.setMode(mode, [...ENDPOINTS]);
      const fetchesBefore = issuer.requests.jwks;
      // Until the app has tried the JWKS in this mode (after the cooldown, or the failure backoff).
      let tries = 0;
      while (issuer.requests.jwks === fetchesBefore) {
        const answer = await call(fresh);
        tries++;
        expect(answer.ms).toBeLessThan(WAIT_BOUND_MS);
        // Before the first failed fetch the app has no reason to think the JWKS is down (cooldown).
        expect(failedOnce ? [503] : [401, 503]).toContain(answer.status);
        if (answer.status === 503) expect(answer.retryAfter).toMatch(/^\d+$/);
        expect(tries).toBeLessThan(200);
        await sleep(200);
      }
      // The attempt in this mode: wait for its answer, then the unknown kid is a 503.
      const after = await call(fresh);
      expect(after.ms).toBeLessThan(WAIT_BOUND_MS);
      expect(after.status).toBe(503);
      expect(after.retryAfter).toMatch(/^\d+$/);
      failedOnce = true;
      const cachedAnswer = await call(cached);
      expect(cachedAnswer.status).toBe(200);
      figures[`${mode}Ms`] = Math.round(after.ms);
    }
    issuer.setMode('ok');
    const recoveredMs = await timeUntil(
      async () => (await call(fresh)).status === 200,
      RECOVERY_BOUND_MS,
      200,
    );
    expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(WAIT_BOUND_MS);
    report('idp faults: mid-run (discovery + JWKS)', {
      requests: answers.length,
      faultsInjected: modes.join('/'),
      ...figures,
      worstLatencyMs: Math.round(Math.max(...answers.map((a) => a.ms))),
      boundMs: WAIT_BOUND_MS,
      newKeyAcceptedAfterRecoveryMs: recoveredMs,
      recoveryBoundMs: RECOVERY_BOUND_MS,
      jwksFetches: issuer.requests.jwks,
    });
  });
});
