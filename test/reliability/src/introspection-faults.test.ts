/**
 * Introspection faults: a small Hono app (`@restguard/hono` on `@hono/node-server`, real HTTP on
 * loopback) whose guard verifies opaque tokens through RFC 7662 introspection at `@restguard/testing`'s
 * issuer (real HTTPS), while the introspection endpoint refuses connections, answers 500, hangs,
 * answers garbage or a 50 MiB body, then comes back. Bounds: a token not introspected before gets 503
 * with `Retry-After` in every fault; a token introspected before the faults keeps working from the
 * verified-token cache; no request waits longer than the fetch timeout (5 s) plus 1 s; no 500; a new
 * token is accepted again after recovery.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type RestguardEnv, restguard } from '@restguard/hono';
import { createTestIssuer, type EndpointMode, type TestIssuer } from '@restguard/testing';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report, timeUntil } from './processes.js';

const FETCH_TIMEOUT_MS = 5000;
const WAIT_BOUND_MS = FETCH_TIMEOUT_MS + 1000;
const RECOVERY_BOUND_MS = 20_000;

interface Answer {
  status: number;
  retryAfter: string | null;
  ms: number;
}

describe('identity-provider faults: introspection', () => {
  let issuer: TestIssuer;
  let server: ReturnType<typeof serve>;
  let base: string;
  const answers: Answer[] = [];

  const call = async (token: string): Promise<Answer> => {
    const started = performance.now();
    const res = await fetch(`${base}/api/notes`, { headers: { authorization: `Bearer ${token}` } });
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
    const app = new Hono<RestguardEnv>();
    app.use(
      '/api/*',
      restguard({
        tls: false,
        tokens: {
          issuers: [
            {
              issuer: issuer.url,
              audience: issuer.audience,
              introspection: { ...issuer.client, endpoint: issuer.introspectionEndpoint },
            },
          ],
          fetch: issuer.fetch,
          fetching: { timeoutMs: FETCH_TIMEOUT_MS },
        },
      }),
    );
    app.get('/api/notes', (c) => c.json({ subject: c.get('auth')?.subject }));
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await issuer?.close();
  });

  it('answers 503 with Retry-After through every fault, within the fetch timeout, and recovers', async () => {
    const cached = issuer.mintOpaque({ scope: 'read' });
    expect((await call(cached)).status).toBe(200);
    const modes: EndpointMode[] = ['refuse', '500', 'hang', 'garbage', 'huge'];
    const figures: Record<string, string | number> = {};
    for (const mode of modes) {
      issuer.setMode(mode, ['introspection']);
      const before = issuer.requests.introspection;
      // A token never introspected before: it needs the endpoint.
      const fresh = await call(issuer.mintOpaque({ scope: 'read' }));
      expect(fresh.status, mode).toBe(503);
      expect(fresh.retryAfter, mode).toMatch(/^\d+$/);
      expect(fresh.ms, mode).toBeLessThan(WAIT_BOUND_MS);
      // The 503 came from the faulty endpoint itself.
      expect(issuer.requests.introspection, mode).toBeGreaterThan(before);
      const again = await call(cached);
      expect(again.status, mode).toBe(200);
      figures[`${mode}Ms`] = Math.round(fresh.ms);
      figures[`${mode}Fetches`] = issuer.requests.introspection - before;
    }
    issuer.setMode('ok');
    const recoveredMs = await timeUntil(
      async () => (await call(issuer.mintOpaque({ scope: 'read' }))).status === 200,
      RECOVERY_BOUND_MS,
      200,
    );
    expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    const worst = Math.max(...answers.map((a) => a.ms));
    expect(worst).toBeLessThan(WAIT_BOUND_MS);
    report('idp faults: introspection mid-run', {
      requests: answers.length,
      faultsInjected: modes.join('/'),
      ...figures,
      worstLatencyMs: Math.round(worst),
      boundMs: WAIT_BOUND_MS,
      acceptedAfterRecoveryMs: recoveredMs,
      recoveryBoundMs: RECOVERY_BOUND_MS,
      introspectionCalls: issuer.requests.introspection,
    });
  });
});
