/**
 * Browser SSO (issue 9) against the REAL dev issuer (oidc-provider): an app built on core's guard
 * with sessions, served over HTTPS on loopback, driven by a scripted cookie-following browser that
 * signs in through the provider's own pages. Covers login, session-authenticated API calls, scopes,
 * CSRF, refresh after the access token's expiry, RP-initiated logout and back-channel logout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SessionApp, startSessionApp } from './session-app.js';
import { type Page, ScriptedBrowser } from './session-client.js';

let env: SessionApp;
let caPem: string;
let baseUrl: string;
let issuer: SessionApp['issuer'];
let clock: SessionApp['clock'];
const browsers: ScriptedBrowser[] = [];

beforeAll(async () => {
  env = await startSessionApp();
  ({ caPem, baseUrl, issuer, clock } = env);
});

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await env?.close();
});

function browser(): ScriptedBrowser {
  const b = new ScriptedBrowser(caPem);
  browsers.push(b);
  return b;
}

/** Signs in through the dev issuer's login page; returns the page the app lands on. */
async function signIn(b: ScriptedBrowser, user: string, returnTo = '/api/me'): Promise<Page> {
  const loginPage = await b.navigate(`${baseUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(loginPage.url.startsWith(issuer.issuer), 'the login page is the provider’s').toBe(true);
  expect(loginPage.body).toContain('name="username"');
  return b.submit(loginPage, { username: user, password: user });
}

const me = async (b: ScriptedBrowser) => b.request(`${baseUrl}/api/me`);

describe('browser SSO against the dev issuer', () => {
  it('alice signs in through the provider’s pages and lands back signed in, with the access token’s scopes', async () => {
    const b = browser();
    const landed = await signIn(b, 'alice');
    expect(landed.url).toBe(`${baseUrl}/api/me`);
    expect(landed.status).toBe(200);
    const principal = JSON.parse(landed.body);
    expect(principal).toMatchObject({ kind: 'session', subject: 'alice', issuer: issuer.issuer });
    expect(principal.scopes).toEqual(['read', 'write']);
    const cookie = b.jar(baseUrl).get('__Host-restguard-session');
    // One cookie (no chunks) well under the 4096-byte limit with the provider's real tokens.
    expect(cookie!.length).toBeLessThan(3800);
    expect(b.jar(baseUrl).has('__Host-restguard-session-tx')).toBe(false);
  });

  it('calls protected routes with the session; a cross-site POST carrying only the cookie is refused', async () => {
    const b = browser();
    await signIn(b, 'alice');
    expect((await b.request(`${baseUrl}/api/notes`)).status).toBe(200);
    expect(
      (await b.request(`${baseUrl}/api/notes`, { method: 'POST', json: { text: 'hi' }, origin: baseUrl }))
        .status,
    ).toBe(201);
    const csrf = await b.request(`${baseUrl}/api/notes`, {
      method: 'POST',
      json: { text: 'x' },
      origin: 'https://evil.example',
    });
    expect(csrf.status).toBe(403);
    expect(JSON.parse(csrf.body).error).toBe('csrf_rejected');
  });

  it('bob (read only) is refused a route that needs write', async () => {
    const b = browser();
    const landed = await signIn(b, 'bob');
    expect(JSON.parse(landed.body).scopes).toEqual(['read']);
    expect((await b.request(`${baseUrl}/api/notes`)).status).toBe(200);
    const denied = await b.request(`${baseUrl}/api/notes`, {
      method: 'POST',
      json: { text: 'x' },
      origin: baseUrl,
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('refreshes after the access token expires, and the session keeps working', async () => {
    const b = browser();
    await signIn(b, 'alice');
    const before = b.jar(baseUrl).get('__Host-restguard-session');
    clock.offset += 280_000; // within a minute of the 300 s expiry
    try {
      const refreshed = await me(b);
      expect(refreshed.status).toBe(200);
      expect(b.jar(baseUrl).get('__Host-restguard-session')).not.toBe(before);
      clock.offset += 280_000; // the first access token is now long expired; only the refreshed one lives
      const again = await me(b);
      expect(again.status).toBe(200);
      expect(JSON.parse(again.body).subject).toBe('alice');
    } finally {
      clock.offset = 0;
    }
  });

  it('logs out at the app and the provider (RP-initiated); the session is refused afterwards', async () => {
    const b = browser();
    await signIn(b, 'alice');
    const stolen = b.clone(caPem);
    browsers.push(stolen);
    const confirm = await b.navigate(`${baseUrl}/auth/logout`, { method: 'POST', origin: baseUrl });
    expect(confirm.url.startsWith(`${issuer.issuer}/session/end`)).toBe(true);
    const home = await b.submit(confirm, { logout: 'yes' }, 'op.logoutForm');
    expect(home.url).toBe(`${baseUrl}/`);
    expect(b.jar(baseUrl).has('__Host-restguard-session')).toBe(false);
    expect((await me(b)).status).toBe(401);
    expect((await me(stolen)).status).toBe(401);
  });

  it('back-channel logout: signing out at the provider ends the app session', async () => {
    const b = browser();
    await signIn(b, 'alice');
    expect((await me(b)).status).toBe(200);
    const confirm = await b.navigate(`${issuer.issuer}/session/end`);
    await b.submit(confirm, { logout: 'yes' }, 'op.logoutForm');
    expect(b.jar(baseUrl).has('__Host-restguard-session'), 'the app cookie is still in the browser').toBe(
      true,
    );
    expect((await me(b)).status).toBe(401);
  });

  it('shows a problem page when the user aborts at the provider', async () => {
    const b = browser();
    const loginPage = await b.navigate(`${baseUrl}/auth/login`);
    const uid = /\/interaction\/([A-Za-z0-9_-]+)\/login/.exec(loginPage.body)![1];
    const page = await b.navigate(`${issuer.issuer}/interaction/${uid}/abort`);
    expect(page.url.startsWith(`${baseUrl}/auth/callback`)).toBe(true);
    expect(page.status).toBe(400);
    expect(page.body).toContain('access_denied');
    expect(page.body).not.toMatch(/at \S+\.js/);
  });
});
