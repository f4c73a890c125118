import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Jar, login, managerFor, req, startLogin } from './__fixtures__/harness.js';
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
    deny: false,
    wrongNonce: false,
    omitIss: false,
    refuseRefresh: false,
  });
});

describe('login', () => {
  it('redirects to the provider with PKCE S256, state, nonce, scopes and resource, and seals the transaction', async () => {
    const { manager } = managerFor(provider);
    const answer = (await manager.handle(req('GET', '/auth/login?returnTo=/notes')))!;
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.location as string);
    expect(`${location.origin}${location.pathname}`).toBe(`${provider.issuer}/authorize`);
    const p = location.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(p.get('nonce')!.length).toBeGreaterThanOrEqual(32);
    expect(p.get('scope')).toBe('openid offline_access read write');
    expect(p.get('prompt')).toBe('consent');
    expect(p.get('resource')).toBe('https://api.test');
    expect(p.get('redirect_uri')).toBe('https://app.test/auth/callback');
    const cookie = ([] as string[]).concat(answer.headers['set-cookie']!)[0]!;
    expect(cookie).toMatch(
      /^__Host-restguard-session-tx=[^;]+; Path=\/; Max-Age=600; Secure; HttpOnly; SameSite=Lax$/,
    );
    // Sealed, not signed: neither the verifier nor the state is readable in the cookie.
    expect(cookie).not.toContain(p.get('state')!);
  });

  it('completes the flow: session cookie, principal of kind session with the access token scopes', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    const answer = await login(manager, provider, jar, '?returnTo=/notes?page=2');
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/notes?page=2');
    expect(jar.cookies.has('__Host-restguard-session-tx')).toBe(false);
    const cookie = ([] as string[])
      .concat(answer.headers['set-cookie']!)
      .find((c) => c.startsWith('__Host-restguard-session='))!;
    expect(cookie).toMatch(/; Path=\/; Max-Age=1800; Secure; HttpOnly; SameSite=Lax$/);
    expect(cookie.length).toBeLessThan(4096);
    const result = (await manager.authenticate(req('GET', '/api/notes', jar)))!;
    expect(result.principal!.kind).toBe('session');
    expect(result.principal!.subject).toBe('alice');
    expect([...result.principal!.scopes].sort()).toEqual(['read', 'write']);
    expect(result.principal!.claims!.sid).toBe('sid-alice');
    expect(result.principal!.issuer).toBe(provider.issuer);
  });

  it('refuses an open-redirect returnTo and lands on /', async () => {
    const { manager } = managerFor(provider);
    for (const evil of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      '/\t/evil.example',
      'javascript:alert(1)',
    ]) {
      const answer = await login(manager, provider, new Jar(), `?returnTo=${encodeURIComponent(evil)}`);
      expect(answer.headers.location, evil).toBe('/');
    }
  });

  it('refuses a tampered state', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    const callback = await startLogin(manager, provider, jar);
    const url = new URL(callback, 'https://app.test');
    url.searchParams.set('state', `${url.searchParams.get('state')}x`);
    const answer = (await manager.handle(
      req('GET', `${url.pathname}${url.search}`, jar, { accept: 'application/json' }),
    ))!;
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).detail).toBe('The sign-in response could not be verified.');
    expect(([] as string[]).concat(answer.headers['set-cookie']!)).toContain(
      '__Host-restguard-session-tx=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax',
    );
  });

  it('refuses a tampered transaction cookie and one sealed for another purpose', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    const callback = await startLogin(manager, provider, jar);
    const sealed = jar.cookies.get('__Host-restguard-session-tx')!;
    const at = Math.floor(sealed.length / 2);
    const tampered = `${sealed.slice(0, at)}${sealed[at] === 'A' ? 'B' : 'A'}${sealed.slice(at + 1)}`;
    jar.cookies.set('__Host-restguard-session-tx', tampered);
    expect((await manager.handle(req('GET', callback, jar)))!.status).toBe(400);
  });

  it('refuses an expired transaction', async () => {
    const { manager, clock } = managerFor(provider);
    const jar = new Jar();
    const callback = await startLogin(manager, provider, jar);
    clock.now += 601_000;
    const answer = (await manager.handle(req('GET', callback, jar, { accept: 'application/json' })))!;
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).detail).toMatch(/No sign-in is in progress/);
  });

  it('refuses a replayed callback (same transaction cookie, same code)', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    const callback = await startLogin(manager, provider, jar);
    const replay = jar.clone();
    expect((await manager.handle(req('GET', callback, jar)))!.status).toBe(303);
    const answer = (await manager.handle(req('GET', callback, replay, { accept: 'application/json' })))!;
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).detail).toMatch(/already used/);
  });

  it('refuses a callback replayed on another instance sharing the revocation list', async () => {
    const shared = createMemoryRevocationList();
    const { manager } = managerFor(provider, { revocations: shared });
    const { manager: other } = managerFor(provider, { revocations: shared });
    const jar = new Jar();
    const callback = await startLogin(manager, provider, jar);
    const replay = jar.clone();
    expect((await manager.handle(req('GET', callback, jar)))!.status).toBe(303);
    const answer = (await other.handle(req('GET', callback, replay, { accept: 'application/json' })))!;
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).detail).toMatch(/already used/);
  });

  it('refuses a mismatched nonce', async () => {
    provider.behaviour.wrongNonce = true;
    const { manager } = managerFor(provider);
    const jar = new Jar();
    const answer = await login(manager, provider, jar);
    expect(answer.status).toBe(400);
    expect([...jar.cookies.keys()]).toEqual([]);
  });

  it('refuses a response without iss when the provider advertises RFC 9207', async () => {
    provider.behaviour.omitIss = true;
    const { manager } = managerFor(provider);
    expect((await login(manager, provider, new Jar())).status).toBe(400);
  });

  it('shows access_denied as a clear problem page (HTML for browsers, problem+json otherwise)', async () => {
    provider.behaviour.deny = true;
    const { manager } = managerFor(provider);
    const jar = new Jar();
    const callback = await startLogin(manager, provider, jar);
    const html = (await manager.handle(req('GET', callback, jar, { accept: 'text/html,*/*' })))!;
    expect(html.status).toBe(400);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('Sign-in was cancelled or refused at the identity provider.');
    expect(html.body).toContain('access_denied');
    expect(html.body).not.toMatch(/at .*\.js|Error:/);
    const again = new Jar();
    const second = await startLogin(manager, provider, again);
    const problem = (await manager.handle(req('GET', second, again, { accept: 'application/json' })))!;
    expect(problem.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(problem.body)).toMatchObject({ status: 400, error: 'access_denied' });
  });

  it('answers 503 when the provider is unreachable, and null for other paths', async () => {
    const { manager } = managerFor(provider, { issuer: 'http://127.0.0.1:9/' });
    const answer = (await manager.handle(
      req('GET', '/auth/login', undefined, { accept: 'application/json' }),
    ))!;
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(await manager.handle(req('GET', '/api/notes'))).toBeNull();
    expect((await manager.handle(req('POST', '/auth/login')))!.status).toBe(405);
  });

  it('keeps the session within one cookie and the ID token inside it readable only by the server', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    const sealed = jar.cookies.get('__Host-restguard-session')!;
    expect(sealed.split('.')).toHaveLength(5);
    expect(() => decodeJwt(sealed)).toThrow();
  });
});
