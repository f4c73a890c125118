/**
 * The browser-SSO scenario of issue 9, in headless Chromium, for any app that keeps the demo contract
 * (`/auth/login`, `/auth/logout`, `GET /api/me`, `GET|POST /api/notes` needing `read`|`write`) with the
 * dev issuer's accounts: sign in through the provider's own pages, land back signed in, call protected
 * routes with the session cookie, be refused a cross-site form POST (same-site, so SameSite=Lax alone
 * would not stop it), refresh after the access token has expired, log out (app and provider) and be
 * refused again; then a read-only user is refused `write`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** An app under test. */
export interface SsoApp {
  baseUrl: string;
  /** The provider's issuer URL (its pages are where the user signs in). */
  issuerUrl: string;
  /** Makes the current access token expire (move the app's clock, or wait for a short TTL). */
  expireAccessToken(): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium as TOOLCHAIN.md says (system Chromium, never a download). */
export function launchChromium(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'restguard-chromium-')), {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    ignoreHTTPSErrors: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Defines the scenario's tests for the app `start()` returns. */
export function describeBrowserSso(name: string, start: () => Promise<SsoApp>): void {
  describe(name, () => {
    let app: SsoApp;
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      app = await start();
      context = await launchChromium();
      page = context.pages()[0] ?? (await context.newPage());
    });
    afterAll(async () => {
      await context?.close();
      await app?.close();
    });

    async function signIn(user: string): Promise<void> {
      await page.goto(`${app.baseUrl}/auth/login?returnTo=/api/me`);
      expect(page.url().startsWith(app.issuerUrl), 'the provider’s own login page').toBe(true);
      await page.fill('input[name="username"]', user);
      await page.fill('input[name="password"]', user);
      await Promise.all([page.waitForURL(`${app.baseUrl}/api/me`), page.click('button[type="submit"]')]);
    }

    /** A request from one of the app's own pages (same origin: the browser sets `Origin`). */
    function call(method: string, url: string): Promise<{ status: number; body: string }> {
      return page.evaluate(
        async ([m, u]) => {
          const body = m === 'GET' ? undefined : '{"text":"hi"}';
          const res = await fetch(u!, { method: m, headers: { 'content-type': 'application/json' }, body });
          return { status: res.status, body: await res.text() };
        },
        [method, url],
      );
    }

    /** Submits a `<form method=post>` to `target` from the page currently shown. */
    function postForm(target: string): Promise<void> {
      return page.evaluate((action) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = action;
        document.body.appendChild(form);
        form.submit();
      }, target);
    }

    it('alice signs in at the provider and lands back signed in', async () => {
      await signIn('alice');
      const principal = JSON.parse((await page.textContent('body'))!);
      expect(principal).toMatchObject({ kind: 'session', subject: 'alice', scopes: ['read', 'write'] });
      const cookies = await context.cookies(app.baseUrl);
      const session = cookies.find((c) => c.name === '__Host-restguard-session')!;
      expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
      expect(cookies.some((c) => c.name === '__Host-restguard-session-tx')).toBe(false);
    });

    it('calls protected routes with the session cookie', async () => {
      expect((await call('GET', '/api/notes')).status).toBe(200);
      expect((await call('POST', '/api/notes')).status).toBe(201);
    });

    it('refuses a cross-site form POST that carries the session cookie', async () => {
      await page.goto(`${app.issuerUrl}/.well-known/openid-configuration`);
      await Promise.all([page.waitForURL(`${app.baseUrl}/api/notes`), postForm(`${app.baseUrl}/api/notes`)]);
      const problem = JSON.parse((await page.textContent('body'))!);
      expect(problem).toMatchObject({ status: 403, error: 'csrf_rejected' });
    });

    it('refreshes after the access token has expired', async () => {
      await page.goto(`${app.baseUrl}/api/me`);
      await app.expireAccessToken();
      expect((await call('GET', '/api/notes')).status).toBe(200);
      expect(JSON.parse((await call('GET', '/api/me')).body).subject).toBe('alice');
    });

    it('logs out at the app and the provider, and is refused afterwards', async () => {
      await page.goto(`${app.baseUrl}/api/me`);
      await Promise.all([page.waitForURL(`${app.issuerUrl}/session/end**`), postForm('/auth/logout')]);
      await Promise.all([page.waitForURL(`${app.baseUrl}/`), page.click('button[name="logout"]')]);
      expect((await context.cookies(app.baseUrl)).some((c) => c.name === '__Host-restguard-session')).toBe(
        false,
      );
      expect((await call('GET', '/api/notes')).status).toBe(401);
    });

    it('bob (read only) signs in and is refused a route that needs write', async () => {
      await signIn('bob');
      expect((await call('GET', '/api/notes')).status).toBe(200);
      const denied = await call('POST', '/api/notes');
      expect(denied.status).toBe(403);
      expect(JSON.parse(denied.body).error).toBe('insufficient_scope');
    });
  });
}
