import { createHash, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIssuer } from '../src/index.js';
import { AUDIENCE, createHarness, exchangeCode, verifyJwt } from './harness.js';

// Headless Chromium (CHROMIUM_PATH, else /usr/bin/chromium; scripts/test-all.sh provides it) signs in
// through the login page exactly as a person would.
describe('browser login in headless Chromium', () => {
  const harness = createHarness();
  let app: Server;
  let appOrigin: string;
  let devIssuer: DevIssuer;
  let context: BrowserContext;
  const outsideRequests: string[] = [];

  beforeAll(async () => {
    app = createServer({ cert: harness.certs.certPem, key: harness.certs.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<p>back at the app</p>');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appOrigin = `https://127.0.0.1:${(app.address() as AddressInfo).port}`;
    devIssuer = await harness.start({
      webClient: { redirectUris: [`${appOrigin}/auth/callback`], postLogoutRedirectUris: [`${appOrigin}/`] },
    });
    // Chromium trusts exactly this certificate's key, nothing more.
    const spki = new X509Certificate(harness.certs.certPem).publicKey.export({ type: 'spki', format: 'der' });
    context = await chromium.launchPersistentContext(path.join(harness.dir, 'profile'), {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`,
      ],
    });
    context.on('request', (request) => {
      if (!request.url().startsWith('https://127.0.0.1:')) outsideRequests.push(request.url());
    });
  });
  afterAll(async () => {
    await context?.close();
    app?.closeAllConnections();
    app?.close();
    await harness.cleanup();
  });

  it('signs alice in with the username and password fields and the submit button, then signs her out', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const verifier = 'v'.repeat(43);
    const params = new URLSearchParams({
      client_id: 'demo-web',
      response_type: 'code',
      redirect_uri: `${appOrigin}/auth/callback`,
      scope: 'openid read write',
      resource: AUDIENCE,
      state: 'state-1',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    await page.goto(`${devIssuer.issuer}/auth?${params}`);
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', 'alice');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${appOrigin}/auth/callback?**`);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('state')).toBe('state-1');

    const code = callback.searchParams.get('code')!;
    const tokens = await exchangeCode(
      harness.client,
      devIssuer.issuer,
      code,
      verifier,
      `${appOrigin}/auth/callback`,
    );
    expect(tokens.status).toBe(200);
    const { access_token: accessToken, id_token: idToken } = tokens.json<{
      access_token: string;
      id_token: string;
    }>();
    const { payload } = await verifyJwt(harness.client, devIssuer.issuer, accessToken);
    expect(payload).toMatchObject({ aud: AUDIENCE, sub: 'alice', scope: 'read write' });

    const logout = new URLSearchParams({
      id_token_hint: idToken,
      post_logout_redirect_uri: `${appOrigin}/`,
      state: 'bye',
    });
    await page.goto(`${devIssuer.issuer}/session/end?${logout}`);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${appOrigin}/?state=bye`);

    // Signed out: the next authorization request shows the login page again.
    await page.goto(`${devIssuer.issuer}/auth?${params}`);
    expect(await page.locator('input[name="username"]').count()).toBe(1);
    expect(outsideRequests).toEqual([]);
  });
});
