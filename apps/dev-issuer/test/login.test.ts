import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIssuer } from '../src/index.js';
import { HttpsClient } from './client.js';
import {
  AUDIENCE,
  createHarness,
  exchangeCode,
  follow,
  REDIRECT_URI,
  signIn,
  verifyJwt,
  WEB,
} from './harness.js';

interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope: string;
  expires_in: number;
}

describe('browser login of demo-web through the interaction pages (authorization code + PKCE)', () => {
  const harness = createHarness();
  let devIssuer: DevIssuer;

  beforeAll(async () => {
    devIssuer = await harness.start();
  });
  afterAll(() => harness.cleanup());

  async function loginAndExchange(username: string, scope: string): Promise<TokenResponse> {
    const { callback, verifier } = await signIn(harness.certs.caPem, devIssuer.issuer, {
      username,
      scope,
      resource: AUDIENCE,
    });
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('iss')).toBe(devIssuer.issuer);
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();
    const response = await exchangeCode(harness.client, devIssuer.issuer, code!, verifier);
    expect(response.status).toBe(200);
    return response.json<TokenResponse>();
  }

  it('shows a login page with a username field, a password field and a submit button', async () => {
    const { loginPage } = await signIn(harness.certs.caPem, devIssuer.issuer, {
      username: 'bob',
      scope: 'openid read',
    });
    expect(loginPage).toMatch(/<input[^>]+name="username"/);
    expect(loginPage).toMatch(
      /<input[^>]+name="password"[^>]*type="password"|<input[^>]+type="password"[^>]*name="password"/,
    );
    expect(loginPage.match(/<button type="submit"/g)).toHaveLength(1);
    expect(loginPage).toContain('for development and tests only');
  });

  it('gives alice a JWT for the audience with "read write", an ID token and a refresh token', async () => {
    const tokens = await loginAndExchange('alice', 'openid profile read write');
    expect(tokens.scope).toBe('read write');
    const { payload, protectedHeader } = await verifyJwt(
      harness.client,
      devIssuer.issuer,
      tokens.access_token,
    );
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      iss: devIssuer.issuer,
      aud: AUDIENCE,
      sub: 'alice',
      client_id: 'demo-web',
      scope: 'read write',
    });
    expect(decodeJwt(tokens.id_token!)).toMatchObject({
      iss: devIssuer.issuer,
      aud: 'demo-web',
      sub: 'alice',
    });
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('gives bob only "read", even when he asks for "read write"', async () => {
    const tokens = await loginAndExchange('bob', 'openid read write');
    expect(tokens.scope).toBe('read');
    const { payload } = await verifyJwt(harness.client, devIssuer.issuer, tokens.access_token);
    expect(payload).toMatchObject({ aud: AUDIENCE, sub: 'bob', scope: 'read' });
  });

  it('limits the scopes to what was asked for (alice asking for "read" gets "read")', async () => {
    const tokens = await loginAndExchange('alice', 'openid read');
    expect(tokens.scope).toBe('read');
  });

  it('defaults the resource to the audience when the client asks for API scopes without naming it', async () => {
    const { callback, verifier } = await signIn(harness.certs.caPem, devIssuer.issuer, {
      username: 'alice',
      scope: 'openid write',
    });
    const response = await exchangeCode(
      harness.client,
      devIssuer.issuer,
      callback.searchParams.get('code')!,
      verifier,
    );
    const { payload } = await verifyJwt(
      harness.client,
      devIssuer.issuer,
      response.json<TokenResponse>().access_token,
    );
    expect(payload).toMatchObject({ aud: AUDIENCE, sub: 'alice', scope: 'write' });
  });

  it('issues an opaque userinfo token when no API scope and no resource are asked for', async () => {
    const { callback, verifier } = await signIn(harness.certs.caPem, devIssuer.issuer, {
      username: 'bob',
      scope: 'openid profile',
    });
    const response = await exchangeCode(
      harness.client,
      devIssuer.issuer,
      callback.searchParams.get('code')!,
      verifier,
    );
    const tokens = response.json<TokenResponse>();
    expect(tokens.access_token.split('.')).toHaveLength(1);
    const userinfo = await harness.client.fetch(`${devIssuer.issuer}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.json()).toEqual({ sub: 'bob', name: 'Bob', preferred_username: 'bob' });
  });

  it('rotates refresh tokens, and a reused refresh token fails', async () => {
    const tokens = await loginAndExchange('alice', 'openid read write');
    const refresh = (refreshToken: string) =>
      harness.client.fetch(`${devIssuer.issuer}/token`, {
        headers: { authorization: WEB },
        form: { grant_type: 'refresh_token', refresh_token: refreshToken },
      });
    const first = await refresh(tokens.refresh_token!);
    expect(first.status).toBe(200);
    const refreshed = first.json<TokenResponse>();
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const { payload } = await verifyJwt(harness.client, devIssuer.issuer, refreshed.access_token);
    expect(payload).toMatchObject({ aud: AUDIENCE, sub: 'alice', scope: 'read write' });
    const replay = await refresh(tokens.refresh_token!);
    expect(replay.status).toBe(400);
    expect(replay.json()).toMatchObject({ error: 'invalid_grant' });
    // The replay revoked the whole grant: the rotated refresh token is dead too.
    expect((await refresh(refreshed.refresh_token!)).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('re-shows the form on a wrong password, and signs nobody in', async () => {
    const browser = new HttpsClient(harness.certs.caPem, { cookies: true });
    const params = new URLSearchParams({
      client_id: 'demo-web',
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid read',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const page = await follow(
      browser,
      devIssuer.issuer,
      await browser.fetch(`${devIssuer.issuer}/auth?${params}`),
    );
    if (page instanceof URL) throw new Error('expected the login page');
    const action = /action="([^"]+)"/.exec(page.body)![1]!;
    const failed = await browser.fetch(new URL(action, devIssuer.issuer).href, {
      form: { username: 'alice', password: 'bob' },
    });
    expect(failed.status).toBe(200);
    expect(failed.body).toContain('Wrong username or password.');
    expect(failed.body).not.toContain('name="password" value=');
    const unknown = await browser.fetch(new URL(action, devIssuer.issuer).href, {
      form: { username: 'mallory', password: 'mallory' },
    });
    expect(unknown.body).toContain('Wrong username or password.');
  });

  it('refuses the login form without the interaction cookie of the browser that started it', async () => {
    const { browser } = { browser: new HttpsClient(harness.certs.caPem, { cookies: true }) };
    const params = new URLSearchParams({
      client_id: 'demo-web',
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid read',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const page = await follow(
      browser,
      devIssuer.issuer,
      await browser.fetch(`${devIssuer.issuer}/auth?${params}`),
    );
    if (page instanceof URL) throw new Error('expected the login page');
    const action = /action="([^"]+)"/.exec(page.body)![1]!;
    const stranger = new HttpsClient(harness.certs.caPem, { cookies: true });
    const response = await stranger.fetch(new URL(action, devIssuer.issuer).href, {
      form: { username: 'alice', password: 'alice' },
    });
    expect(response.status).toBe(400);
    expect(response.headers.location).toBeUndefined();
  });

  it('requires PKCE of the confidential web client', async () => {
    const { callback } = await signIn(harness.certs.caPem, devIssuer.issuer, {
      username: 'alice',
      scope: 'openid read',
      pkce: false,
    });
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('refuses a code exchanged with the wrong PKCE verifier', async () => {
    const { callback } = await signIn(harness.certs.caPem, devIssuer.issuer, {
      username: 'alice',
      scope: 'openid read',
    });
    const response = await exchangeCode(
      harness.client,
      devIssuer.issuer,
      callback.searchParams.get('code')!,
      'x'.repeat(43),
    );
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a redirect_uri that is not registered', async () => {
    const browser = new HttpsClient(harness.certs.caPem, { cookies: true });
    const params = new URLSearchParams({
      client_id: 'demo-web',
      response_type: 'code',
      redirect_uri: 'https://evil.example/callback',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const response = await browser.fetch(`${devIssuer.issuer}/auth?${params}`);
    expect(response.status).toBe(400);
    expect(response.headers.location).toBeUndefined();
  });

  it('logged no server error on the way', () => {
    expect(harness.logs.filter((line) => line.includes('error'))).toEqual([]);
  });
});
