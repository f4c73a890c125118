import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIssuer } from '../src/index.js';
import { AUDIENCE, createHarness, exchangeCode, follow, POST_LOGOUT_URI, signIn, WEB } from './harness.js';

describe('RP-initiated logout and back-channel logout of demo-web', () => {
  const harness = createHarness();
  const received: string[] = [];
  let receiver: Server;
  let devIssuer: DevIssuer;

  beforeAll(async () => {
    // The web app's back-channel logout endpoint, on a certificate only the test CA vouches for.
    receiver = createServer({ cert: harness.certs.certPem, key: harness.certs.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push(body);
        res.writeHead(200, { 'cache-control': 'no-store' }).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    devIssuer = await harness.start({
      webClient: {
        redirectUris: ['https://127.0.0.1:4443/auth/callback'],
        postLogoutRedirectUris: [POST_LOGOUT_URI],
        backchannelLogoutUri: `https://127.0.0.1:${port}/auth/backchannel-logout`,
      },
    });
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    receiver.close();
    await harness.cleanup();
  });

  it('signs the user out after one confirmation, tells the web app over the back channel, and ends its tokens', async () => {
    const { browser, callback, verifier } = await signIn(harness.certs.caPem, devIssuer.issuer, {
      username: 'alice',
      scope: 'openid read write',
      resource: AUDIENCE,
    });
    const tokens = (
      await exchangeCode(harness.client, devIssuer.issuer, callback.searchParams.get('code')!, verifier)
    ).json<{
      id_token: string;
      access_token: string;
      refresh_token: string;
    }>();
    const sid = (
      await jwtVerify(
        tokens.id_token,
        createLocalJWKSet((await harness.client.fetch(devIssuer.jwksUri)).json()),
      )
    ).payload.sid;
    expect(typeof sid).toBe('string');

    const params = new URLSearchParams({
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 's1',
    });
    const page = await browser.fetch(`${devIssuer.issuer}/session/end?${params}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('for development and tests only');
    expect(page.body.match(/<button type="submit"/g)).toHaveLength(1);
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(page.body)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
    const confirmed = await browser.fetch(new URL(action!, devIssuer.issuer).href, {
      form: { xsrf: xsrf!, logout: 'yes' },
    });
    const end = await follow(browser, devIssuer.issuer, confirmed);
    expect(end).toBeInstanceOf(URL);
    expect((end as URL).href).toBe(`${POST_LOGOUT_URI}?state=s1`);

    expect(received).toHaveLength(1);
    const logoutToken = new URLSearchParams(received[0]).get('logout_token')!;
    const jwks = createLocalJWKSet((await harness.client.fetch(devIssuer.jwksUri)).json());
    const { payload, protectedHeader } = await jwtVerify(logoutToken, jwks, {
      issuer: devIssuer.issuer,
      audience: 'demo-web',
    });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload).toMatchObject({
      sub: 'alice',
      sid,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    });
    expect(payload).not.toHaveProperty('nonce');

    const refreshed = await harness.client.fetch(`${devIssuer.issuer}/token`, {
      headers: { authorization: WEB },
      form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
    });
    expect(refreshed.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses the logout confirmation without its anti-forgery token', async () => {
    const { browser } = await signIn(harness.certs.caPem, devIssuer.issuer, {
      username: 'bob',
      scope: 'openid',
    });
    const page = await browser.fetch(`${devIssuer.issuer}/session/end`);
    const action = /action="([^"]+)"/.exec(page.body)?.[1];
    const forged = await browser.fetch(new URL(action!, devIssuer.issuer).href, {
      form: { xsrf: 'forged', logout: 'yes' },
    });
    expect(forged.status).toBe(400);
    expect(received).toHaveLength(1);
  });
});
