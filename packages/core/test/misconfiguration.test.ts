// Misconfiguration says why: every 503 event carries its cause, each distinct fault is logged once at
// warn, and guard.ready() resolves discovery and the JWKS now, throwing a typed error naming the fault.
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthEvent } from '../src/events.js';
import { createGuard, type GuardOptions } from '../src/guard.js';
import type { AuthRequest } from '../src/request.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer | undefined;
afterEach(async () => {
  await issuer?.close();
  issuer = undefined;
});

const request = (token: string): AuthRequest => ({
  method: 'GET',
  url: '/api/notes',
  headers: (name) => (name === 'authorization' ? [`Bearer ${token}`] : []),
  tls: true,
});

function guardFor(tokens: GuardOptions['tokens']) {
  const events: AuthEvent[] = [];
  const guard = createGuard({ tokens, tls: false, onEvent: (event) => events.push(event) });
  return { guard, events };
}

describe('misconfiguration says why', () => {
  it("an issuer configured with a trailing slash the metadata doesn't have (Auth0's case)", async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'] });
    const configured = `${issuer.url}/`;
    const { guard, events } = guardFor({
      issuers: [{ issuer: configured, audience: issuer.audience }],
      fetch: issuer.fetch,
      allowInsecureRequests: true,
      fetching: { failureBackoffMs: 0 },
    });
    const token = await issuer.mint({ iss: configured });
    for (let i = 0; i < 2; i++) {
      const decision = await guard.decide(request(token));
      expect(decision.allow).toBe(false);
      if (!decision.allow) {
        expect(decision.answer.status).toBe(503);
        // the client never learns the configuration
        expect(decision.answer.body).not.toContain(issuer.url);
      }
    }
    const faults = events.filter((event) => event.type === 'fault');
    expect(faults).toHaveLength(1); // logged once, however many requests meet it
    expect(faults[0]).toMatchObject({
      level: 'warn',
      fault: { kind: 'issuer_mismatch', expected: configured, actual: issuer.url },
    });
    expect(faults[0]!.type === 'fault' && faults[0]!.message).toContain('trailing slash');
    const rejected = events.filter((event) => event.type === 'rejected');
    expect(rejected).toHaveLength(2);
    for (const event of rejected) {
      expect(event).toMatchObject({
        code: 'ERR_UNAVAILABLE',
        cause: { kind: 'issuer_mismatch', expected: configured, actual: issuer.url },
      });
    }
    const err = await guard.ready().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      fault: { kind: 'issuer_mismatch', expected: configured, actual: issuer.url },
    });
    expect((err as Error).message).toContain(`"${configured}"`);
    await guard.close();
  });

  it('ready() discovers the browser-login provider too, naming its issuer mismatch', async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'] });
    const sessions = (configured: string) =>
      createGuard({
        sessions: {
          issuer: configured,
          clientId: 'web',
          clientSecret: 'web-secret',
          baseUrl: 'https://app.example',
          secrets: ['web-session-secret-0123456789abcdef'],
          allowInsecureRequests: true,
          fetch: issuer!.fetch,
        },
        tls: false,
      });
    issuer.setMetadata({ issuer: 'https://elsewhere.example' });
    const wrong = sessions(issuer.url);
    const err = await wrong.ready().catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      fault: { kind: 'issuer_mismatch', expected: issuer.url, actual: 'https://elsewhere.example' },
    });
    issuer.setMetadata({});
    const right = sessions(issuer.url);
    await expect(right.ready()).resolves.toBeUndefined();
    await Promise.all([wrong.close(), right.close()]);
  });

  it('ready() resolves discovery and the JWKS now, and succeeds when they are right', async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'] });
    const { guard } = guardFor({
      issuers: [{ issuer: issuer.url, audience: issuer.audience }],
      fetch: issuer.fetch,
      allowInsecureRequests: true,
    });
    await guard.ready();
    expect(issuer.requests.openidConfiguration).toBe(1);
    expect(issuer.requests.jwks).toBe(1);
    const decision = await guard.decide(request(await issuer.mint()));
    expect(decision.allow).toBe(true);
    expect(issuer.requests.jwks).toBe(1);
    await guard.close();
  });

  it('names the HTTP status, the JSON shape and the timeout', async () => {
    const respond =
      (answer: () => Promise<Response>): typeof fetch =>
      async () =>
        answer();
    const cases: Array<[typeof fetch, Record<string, unknown>]> = [
      [respond(async () => new Response('nope', { status: 404 })), { kind: 'http_status', status: 404 }],
      [respond(async () => new Response('<html>', { status: 200 })), { kind: 'json_shape' }],
      [respond(async () => Response.json({ not: 'keys' })), { kind: 'json_shape' }],
      [() => new Promise<Response>(() => {}), { kind: 'timeout' }],
    ];
    for (const [fetchFn, expected] of cases) {
      const { guard, events } = guardFor({
        issuers: [
          {
            issuer: 'https://idp.example',
            audience: 'https://api.example',
            jwksUri: 'https://keys.example/jwks',
          },
        ],
        fetch: fetchFn,
        fetching: { timeoutMs: 50, failureBackoffMs: 0 },
      });
      const err = await guard.ready().catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'ERR_UNAVAILABLE',
        fault: { ...expected, url: 'https://keys.example/jwks', host: 'keys.example' },
      });
      expect((err as Error).message).toContain('https://keys.example/jwks');
      // the same cause on a request's event
      const token =
        `${btoa(JSON.stringify({ alg: 'ES256', kid: 'k', typ: 'at+jwt' }))}.${btoa(JSON.stringify({ iss: 'https://idp.example' }))}.c2ln`.replace(
          /=/g,
          '',
        );
      await guard.decide(request(token));
      expect(events.find((event) => event.type === 'rejected')).toMatchObject({
        code: 'ERR_UNAVAILABLE',
        cause: expected,
      });
      await guard.close();
    }
  });

  it('names the host of a DNS failure and of a TLS failure', async () => {
    issuer = await createTestIssuer({ https: true, algorithms: ['ES256'] });
    const tls = guardFor({ issuers: [{ issuer: issuer.url, audience: issuer.audience }] }); // global fetch: test CA untrusted
    const tlsError = await tls.guard.ready().catch((e: unknown) => e);
    expect(tlsError).toMatchObject({
      code: 'ERR_UNAVAILABLE',
      fault: { kind: 'tls', host: new URL(issuer.url).host },
    });
    const dns = guardFor({
      issuers: [{ issuer: 'https://no-such-host.invalid', audience: 'https://api.example' }],
    });
    const dnsError = await dns.guard.ready().catch((e: unknown) => e);
    expect(dnsError).toMatchObject({
      code: 'ERR_UNAVAILABLE',
      fault: { kind: 'dns', host: 'no-such-host.invalid' },
    });
    await Promise.all([tls.guard.close(), dns.guard.close()]);
  });
});
