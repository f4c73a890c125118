import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRestguardError } from '../errors.js';
import { createGuard } from '../guard.js';
import { Jar, login, managerFor, OLD_SECRET, ORIGIN, req, SECRET } from './__fixtures__/harness.js';
import { startTestProvider, type TestProvider } from './__fixtures__/provider.js';
import { createMemoryRevocationList } from './revocation.js';

let provider: TestProvider;
beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(() => provider.close());
beforeEach(() => {
  Object.assign(provider.behaviour, {
    user: 'alice',
    scope: 'read write',
    refuseRefresh: false,
    issueRefreshToken: true,
  });
  provider.behaviour.refreshGate = undefined;
  provider.behaviour.refreshUnavailable = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('CSRF', () => {
  it('refuses a cross-site POST that carries only the session cookie', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    for (const headers of <Record<string, string>[]>[
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      {},
      { origin: 'null' },
    ]) {
      const err = await rejection(manager.authenticate(req('POST', '/api/notes', jar, headers)));
      expect(isRestguardError(err) && err.code, JSON.stringify(headers)).toBe('ERR_CSRF_REJECTED');
    }
  });

  it('accepts same-origin state-changing requests and any GET', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    expect(
      (await manager.authenticate(req('POST', '/api/notes', jar, { origin: ORIGIN })))!.principal,
    ).not.toBeNull();
    expect(
      (await manager.authenticate(req('DELETE', '/api/notes/1', jar, { 'sec-fetch-site': 'same-origin' })))!
        .principal,
    ).not.toBeNull();
    expect(
      (await manager.authenticate(req('GET', '/api/notes', jar, { origin: 'https://evil.example' })))!
        .principal,
    ).not.toBeNull();
  });

  it('is answered 403 by the guard, while a request without the cookie stays 401', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    // The guard builds its own manager from the same options (same secret): the cookie opens there too.
    const guard = createGuard({ sessions: managerOptions(), tls: false });
    const decision = await guard.decide(req('POST', '/api/notes', jar, { origin: 'https://evil.example' }), [
      'write',
    ]);
    expect(decision.allow).toBe(false);
    if (!decision.allow) expect(decision.answer.status).toBe(403);
    const anonymous = await guard.decide(
      req('POST', '/api/notes', undefined, { origin: 'https://evil.example' }),
      ['write'],
    );
    expect(!anonymous.allow && anonymous.answer.status).toBe(401);
  });
});

function managerOptions() {
  return {
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    baseUrl: ORIGIN,
    secrets: [SECRET],
    scopes: ['offline_access', 'read', 'write'],
    allowInsecureRequests: true,
  };
}

describe('sealed session', () => {
  it('opens sessions sealed under a rotated-out secret, and reseals with the first secret', async () => {
    const { manager: before } = managerFor(provider, { secrets: [OLD_SECRET] });
    const jar = new Jar();
    await login(before, provider, jar);
    const { manager: after, clock } = managerFor(provider, { secrets: [SECRET, OLD_SECRET] });
    const { manager: onlyNew } = managerFor(provider, { secrets: [SECRET] });
    expect(await onlyNew.authenticate(req('GET', '/', jar))).toMatchObject({ principal: null });
    clock.now += 61_000; // past the touch interval: the session is re-sealed
    const result = (await after.authenticate(req('GET', '/', jar)))!;
    expect(result.principal!.subject).toBe('alice');
    jar.apply(result);
    expect((await onlyNew.authenticate(req('GET', '/', jar)))!.principal!.subject).toBe('alice');
    const { manager: onlyOld } = managerFor(provider, { secrets: [OLD_SECRET] });
    expect((await onlyOld.authenticate(req('GET', '/', jar)))!.principal).toBeNull();
  });

  it('ends a tampered session and clears its cookie; no cookie is no session', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    const sealed = jar.cookies.get('__Host-restguard-session')!;
    const at = Math.floor(sealed.length / 2); // inside the ciphertext
    jar.cookies.set(
      '__Host-restguard-session',
      `${sealed.slice(0, at)}${sealed[at] === 'A' ? 'B' : 'A'}${sealed.slice(at + 1)}`,
    );
    const result = (await manager.authenticate(req('GET', '/', jar)))!;
    expect(result.principal).toBeNull();
    expect(result.setCookies).toEqual([
      '__Host-restguard-session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax',
    ]);
    expect(await manager.authenticate(req('GET', '/'))).toBeNull();
  });

  it('ends a session after the idle timeout, and after the absolute timeout however active', async () => {
    const { manager, clock } = managerFor(provider, {
      idleTimeoutSeconds: 600,
      absoluteTimeoutSeconds: 1500,
      refreshBeforeExpirySeconds: 1,
    });
    provider.behaviour.expiresIn = 3600;
    const jar = new Jar();
    await login(manager, provider, jar);
    const idle = jar.clone();
    clock.now += 601_000;
    expect((await manager.authenticate(req('GET', '/', idle)))!.principal).toBeNull();
    clock.now -= 601_000;
    for (let i = 0; i < 3; i++) {
      clock.now += 400_000;
      const result = (await manager.authenticate(req('GET', '/', jar)))!;
      expect(result.principal, `step ${i}`).not.toBeNull();
      jar.apply(result);
    }
    clock.now += 400_000; // 1600 s after login
    expect((await manager.authenticate(req('GET', '/', jar)))!.principal).toBeNull();
    provider.behaviour.expiresIn = 300;
  });
  it('answers 503 when a shared revocation list is unreachable, never a pass', async () => {
    const list = createMemoryRevocationList();
    let up = true;
    const reach = () => {
      if (!up) throw new Error('connection refused');
    };
    const { manager } = managerFor(provider, {
      revocations: {
        revoke: async (entry) => {
          reach();
          await list.revoke(entry);
        },
        isRevoked: async (session) => {
          reach();
          return list.isRevoked(session);
        },
      },
    });
    const jar = new Jar();
    await login(manager, provider, jar);
    up = false;
    const err = await rejection(manager.authenticate(req('GET', '/', jar)));
    expect(isRestguardError(err) && err.code).toBe('ERR_UNAVAILABLE');
  });
});

describe('refresh', () => {
  it('refreshes before expiry with one refresh in flight per session, and serves stale cookies the same result', async () => {
    const { manager, clock } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    const before = provider.counts.refresh;
    let open!: () => void;
    provider.behaviour.refreshGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    clock.now += 250_000; // within 60 s of the 300 s expiry
    const arrived = provider.nextRefresh();
    const pending = Array.from({ length: 5 }, () => manager.authenticate(req('GET', '/api/notes', jar)));
    await arrived;
    open();
    const results = await Promise.all(pending);
    expect(provider.counts.refresh - before).toBe(1);
    for (const r of results) {
      expect(r!.principal!.subject).toBe('alice');
      expect(r!.setCookies).toHaveLength(1);
    }
    // A request still carrying the old cookie (sent before the new one arrived) does not refresh again.
    const stale = (await manager.authenticate(req('GET', '/api/notes', jar)))!;
    expect(stale.principal).not.toBeNull();
    expect(provider.counts.refresh - before).toBe(1);
    jar.apply(results[0]!);
    clock.now += 60_000;
    expect((await manager.authenticate(req('GET', '/api/notes', jar)))!.principal!.scopes.has('read')).toBe(
      true,
    );
    expect(provider.counts.refresh - before).toBe(1);
  });

  it('takes the scopes of the refreshed access token', async () => {
    const { manager, clock } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    provider.behaviour.scope = 'read';
    clock.now += 290_000;
    const result = (await manager.authenticate(req('GET', '/', jar)))!;
    expect([...result.principal!.scopes]).toEqual(['read']);
  });

  it('ends the session cleanly when the refresh is refused: cookie cleared, the guard answers 401', async () => {
    const { manager, clock } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    provider.behaviour.refuseRefresh = true;
    clock.now += 290_000;
    const result = (await manager.authenticate(req('GET', '/', jar)))!;
    expect(result.principal).toBeNull();
    expect(result.setCookies[0]).toMatch(/^__Host-restguard-session=; Path=\/; Max-Age=0;/);
  });

  it('writes a session whose refresh was refused to the shared list, so other instances refuse it too', async () => {
    const shared = createMemoryRevocationList();
    const { manager, clock } = managerFor(provider, { revocations: shared });
    const { manager: other, clock: otherClock } = managerFor(provider, { revocations: shared });
    const jar = new Jar();
    await login(manager, provider, jar);
    provider.behaviour.refuseRefresh = true;
    clock.now += 290_000;
    expect((await manager.authenticate(req('GET', '/', jar)))!.principal).toBeNull();
    // The other instance's clock is before the access token's expiry: without the shared list it
    // would accept the cookie as it is.
    otherClock.now = clock.now - 290_000;
    expect((await other.authenticate(req('GET', '/', jar)))!.principal).toBeNull();
  });

  it('does not replay a rotated refresh token on another instance sharing the list (fails without the shared refresh marker)', async () => {
    const shared = createMemoryRevocationList();
    const { manager, clock } = managerFor(provider, { revocations: shared });
    const { manager: other, clock: otherClock } = managerFor(provider, { revocations: shared });
    const jar = new Jar();
    await login(manager, provider, jar);
    const stale = jar.clone();
    const before = provider.counts.refresh;
    clock.now += 250_000; // within 60 s of the 300 s expiry
    otherClock.now = clock.now;
    const first = (await manager.authenticate(req('GET', '/api/notes', jar)))!;
    expect(first.principal).not.toBeNull();
    expect(first.setCookies).toHaveLength(1);
    jar.apply(first);
    // The same browser's request with the old cookie reaches the other instance: it must not replay
    // the rotated refresh token (the provider refuses it, and the session would end everywhere).
    const second = (await other.authenticate(req('GET', '/api/notes', stale)))!;
    expect(provider.counts.refresh - before).toBe(1);
    expect(second.principal?.subject).toBe('alice'); // its access token is still valid
    expect(second.setCookies).toEqual([]);
    // Once that access token has expired, the old cookie is a clean 503 (retry with the new cookie).
    otherClock.now += 60_000;
    const err = await rejection(other.authenticate(req('GET', '/api/notes', stale)));
    expect(isRestguardError(err) && err.code).toBe('ERR_UNAVAILABLE');
    expect(provider.counts.refresh - before).toBe(1);
    // The refreshed session works on both instances.
    otherClock.now = clock.now;
    expect((await manager.authenticate(req('GET', '/api/notes', jar)))!.principal).not.toBeNull();
    expect((await other.authenticate(req('GET', '/api/notes', jar)))!.principal).not.toBeNull();
  });

  it('guard: an ended session is a 401 that clears the cookie', async () => {
    const clock = { now: Date.now() };
    const guard = createGuard({ sessions: { ...managerOptions(), clock: () => clock.now }, tls: false });
    const jar = new Jar();
    const start = (await guard.handleAuthRoute(req('GET', '/auth/login', jar)))!;
    jar.apply(start);
    const callback = new URL(await provider.authorize(start.headers.location as string));
    jar.apply((await guard.handleAuthRoute(req('GET', `${callback.pathname}${callback.search}`, jar)))!);
    const ok = await guard.decide(req('GET', '/api/notes', jar), ['read']);
    expect(ok.allow && ok.principal?.kind).toBe('session');
    const denied = await guard.decide(req('GET', '/api/admin', jar), ['admin']);
    expect(!denied.allow && denied.answer.status).toBe(403);
    provider.behaviour.refuseRefresh = true;
    clock.now += 290_000;
    const ended = await guard.decide(req('GET', '/api/notes', jar), ['read']);
    expect(ended.allow).toBe(false);
    if (!ended.allow) {
      expect(ended.answer.status).toBe(401);
      expect(String(ended.answer.headers['set-cookie'])).toMatch(
        /__Host-restguard-session=; Path=\/; Max-Age=0/,
      );
    }
  });

  it('keeps a still-valid token when the provider is down, and answers 503 once it has expired', async () => {
    const down = await startTestProvider();
    const { manager, clock } = managerFor(down);
    const jar = new Jar();
    await login(manager, down, jar);
    await down.close();
    const start = clock.now;
    clock.now = start + 250_000;
    expect((await manager.authenticate(req('GET', '/', jar)))!.principal!.subject).toBe('alice');
    clock.now = start + 301_000;
    const err = await rejection(manager.authenticate(req('GET', '/', jar)));
    expect(isRestguardError(err) && err.code).toBe('ERR_UNAVAILABLE');
  });

  it('retries a refresh the provider could not answer on the same instance, despite its refresh claim', async () => {
    const { manager, clock } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    const before = provider.counts.refresh;
    provider.behaviour.refreshUnavailable = true;
    clock.now += 250_000;
    expect((await manager.authenticate(req('GET', '/', jar)))!.principal!.subject).toBe('alice');
    expect(provider.counts.refresh - before).toBe(1);
    provider.behaviour.refreshUnavailable = false;
    clock.now += 6_000; // past the retry backoff, within the claim's 30 s
    const retried = (await manager.authenticate(req('GET', '/', jar)))!;
    expect(provider.counts.refresh - before).toBe(2);
    expect(retried.principal!.subject).toBe('alice');
  });

  it('does not open a session sealed for another issuer', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    const { manager: other } = managerFor(provider, { issuer: 'http://127.0.0.1:9' });
    expect((await other.authenticate(req('GET', '/', jar)))!.principal).toBeNull();
  });
});
