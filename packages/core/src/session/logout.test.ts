import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jar, login, managerFor, ORIGIN, req } from './__fixtures__/harness.js';
import { startTestProvider, type TestProvider } from './__fixtures__/provider.js';

let provider: TestProvider;
beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(() => provider.close());

const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

function logoutClaims(extra: Record<string, unknown> = {}) {
  return {
    iss: provider.issuer,
    aud: provider.clientId,
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    events: EVENT,
    ...extra,
  };
}

describe('logout', () => {
  it('ends the session locally and redirects to end_session_endpoint with id_token_hint', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    const copy = jar.clone();
    const revokesBefore = provider.counts.revoke;
    const answer = (await manager.handle(req('POST', '/auth/logout', jar, { origin: ORIGIN })))!;
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.location as string);
    expect(`${location.origin}${location.pathname}`).toBe(`${provider.issuer}/session/end`);
    expect(location.searchParams.get('id_token_hint')).toMatch(/^ey/);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe('https://app.test/');
    expect(String(answer.headers['set-cookie'])).toMatch(/__Host-restguard-session=; Path=\/; Max-Age=0/);
    expect(provider.counts.revoke).toBe(revokesBefore + 1);
    // A copy of the old cookie no longer works either.
    expect((await manager.authenticate(req('GET', '/', copy)))!.principal).toBeNull();
  });

  it('refuses a cross-site POST logout and only offers a confirmation page to a cross-site GET', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    const post = (await manager.handle(
      req('POST', '/auth/logout', jar, { origin: 'https://evil.example' }),
    ))!;
    expect(post.status).toBe(403);
    const get = (await manager.handle(req('GET', '/auth/logout', jar, { 'sec-fetch-site': 'cross-site' })))!;
    expect(get.status).toBe(200);
    expect(get.body).toContain('<form method="post" action="/auth/logout">');
    expect((await manager.authenticate(req('GET', '/', jar)))!.principal).not.toBeNull();
  });

  it('a GET that is not provably same-origin (no fetch metadata, none, same-site) only confirms', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    const variants: Record<string, string>[] = [
      {},
      { 'sec-fetch-site': 'none' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of variants) {
      const get = (await manager.handle(req('GET', '/auth/logout', jar, headers)))!;
      expect(get.status, JSON.stringify(headers)).toBe(200);
      expect(get.body).toContain('<form method="post" action="/auth/logout">');
      expect(get.headers['set-cookie']).toBeUndefined();
      expect((await manager.authenticate(req('GET', '/', jar)))!.principal).not.toBeNull();
    }
    // a same-origin GET (a link on the app's own page) ends the session at once
    const same = (await manager.handle(
      req('GET', '/auth/logout', jar, { 'sec-fetch-site': 'same-origin' }),
    ))!;
    expect(same.status).toBe(303);
    jar.apply(same);
    expect((await manager.authenticate(req('GET', '/', jar)))?.principal ?? null).toBeNull();
  });
});

describe('back-channel logout', () => {
  async function post(manager: ReturnType<typeof managerFor>['manager'], token: string) {
    return (await manager.handle(
      req(
        'POST',
        '/auth/backchannel-logout',
        undefined,
        form,
        new URLSearchParams({ logout_token: token }).toString(),
      ),
    ))!;
  }

  it('ends the sessions of the provider session named by sid, and refuses a replay', async () => {
    const { manager } = managerFor(provider);
    const alice = new Jar();
    await login(manager, provider, alice);
    provider.behaviour.user = 'bob';
    const bob = new Jar();
    await login(manager, provider, bob);
    provider.behaviour.user = 'alice';
    const token = await provider.sign(logoutClaims({ sid: 'sid-alice', sub: 'alice' }), {
      typ: 'logout+jwt',
    });
    const answer = await post(manager, token);
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect((await manager.authenticate(req('GET', '/', alice)))!.principal).toBeNull();
    expect((await manager.authenticate(req('GET', '/', bob)))!.principal!.subject).toBe('bob');
    expect((await post(manager, token)).status).toBe(400);
  });

  it('ends every session of a user named by sub alone', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    expect((await post(manager, await provider.sign(logoutClaims({ sub: 'alice' })))).status).toBe(200);
    expect((await manager.authenticate(req('GET', '/', jar)))!.principal).toBeNull();
  });

  it('refuses logout tokens that are not valid', async () => {
    const { manager } = managerFor(provider);
    const jar = new Jar();
    await login(manager, provider, jar);
    const other = await generateKeyPair('ES256');
    const bad = [
      await provider.sign(logoutClaims({ sid: 'sid-alice', nonce: 'n' })),
      await provider.sign(logoutClaims({ sid: 'sid-alice', aud: 'someone-else' })),
      await provider.sign(logoutClaims({ sid: 'sid-alice', iss: 'https://evil.example' })),
      await provider.sign(logoutClaims({ sid: 'sid-alice', events: {} })),
      await provider.sign(logoutClaims({})),
      await provider.sign(logoutClaims({ sid: 'sid-alice', jti: undefined })),
      await provider.sign(logoutClaims({ sid: 'sid-alice', iat: Math.floor(Date.now() / 1000) - 3600 })),
      await provider.sign(logoutClaims({ sid: 'sid-alice' }), { typ: 'at+jwt' }),
      await provider.sign(logoutClaims({ sid: 'sid-alice' }), {}, other.privateKey),
    ];
    for (const [i, token] of bad.entries()) {
      const answer = await post(manager, token);
      expect(answer.status, `token ${i}`).toBe(400);
      expect(JSON.parse(answer.body).error).toBe('invalid_request');
    }
    expect(
      (await manager.handle(req('POST', '/auth/backchannel-logout', undefined, form, 'x=1')))!.status,
    ).toBe(400);
    expect((await manager.authenticate(req('GET', '/', jar)))!.principal!.subject).toBe('alice');
  });
});
