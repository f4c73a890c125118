// Test harness: a dev issuer on a free port over HTTPS with throw-away certificates, a client that
// trusts only the test CA, and the browser-login flow driven through the real interaction pages.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, type JWTVerifyResult, jwtVerify } from 'jose';
import { beforeAll } from 'vitest';
import { type DevIssuer, type DevIssuerOptions, startDevIssuer } from '../src/index.js';
import { makeTestCertificates, type TestCertificates } from './certificates.js';
import { basic, HttpsClient, type TestResponse } from './client.js';

export const AUDIENCE = 'https://notes.restguard.test';
export const REDIRECT_URI = 'https://127.0.0.1:4443/auth/callback';
export const POST_LOGOUT_URI = 'https://127.0.0.1:4443/';
export const MACHINE = basic('demo-machine', 'demo-machine-secret');
export const WEB = basic('demo-web', 'demo-web-secret');

export interface Harness {
  dir: string;
  /** Set in the harness's own beforeAll, before any test runs. */
  certs: TestCertificates;
  logs: string[];
  client: HttpsClient;
  start(options?: Partial<DevIssuerOptions>): Promise<DevIssuer>;
  cleanup(): Promise<void>;
}

export function createHarness(): Harness {
  const dir = mkdtempSync(path.join(tmpdir(), 'dev-issuer-test-'));
  const logs: string[] = [];
  const running: DevIssuer[] = [];
  const harness: Harness = {
    dir,
    certs: { caPem: '', certPem: '', keyPem: '' },
    logs,
    client: new HttpsClient(''),
    async start(options = {}) {
      const { certs } = harness;
      const devIssuer = await startDevIssuer({
        port: 0,
        tls: { cert: certs.certPem, key: certs.keyPem, ca: certs.caPem },
        dataDir: path.join(dir, 'data'),
        log: (line) => logs.push(line),
        webClient: { redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_URI] },
        ...options,
      });
      running.push(devIssuer);
      return devIssuer;
    },
    async cleanup() {
      await Promise.all(running.map((devIssuer) => devIssuer.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  beforeAll(async () => {
    harness.certs = await makeTestCertificates(dir);
    harness.client = new HttpsClient(harness.certs.caPem);
  });
  return harness;
}

export async function verifyJwt(
  client: HttpsClient,
  issuer: string,
  token: string,
): Promise<JWTVerifyResult> {
  const jwks = (await client.fetch(`${issuer}/jwks`)).json<{ keys: [] }>();
  return jwtVerify(token, createLocalJWKSet(jwks), { issuer, typ: 'at+jwt' });
}

export function clientCredentials(client: HttpsClient, issuer: string, form: Record<string, string>) {
  return client.fetch(`${issuer}/token`, {
    headers: { authorization: MACHINE },
    form: { grant_type: 'client_credentials', ...form },
  });
}

export interface SignInOptions {
  username: string;
  password?: string;
  scope: string;
  resource?: string;
  pkce?: boolean;
}

export interface SignInResult {
  browser: HttpsClient;
  /** The authorization response at the redirect URI. */
  callback: URL;
  verifier: string;
  /** The login page as first shown. */
  loginPage: string;
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** Follows redirects within the issuer until one leaves it (the redirect URI), or a page is shown. */
export async function follow(
  browser: HttpsClient,
  issuer: string,
  response: TestResponse,
): Promise<TestResponse | URL> {
  let current = response;
  for (let hops = 0; hops < 10 && current.status >= 300 && current.status < 400; hops += 1) {
    const next = current.location();
    if (!next.startsWith(`${issuer}/`)) return new URL(next);
    current = await browser.fetch(next);
  }
  return current;
}

/** Signs in through the real login page; fails the test when something is not where a user expects it. */
export async function signIn(ca: string, issuer: string, options: SignInOptions): Promise<SignInResult> {
  const browser = new HttpsClient(ca, { cookies: true });
  const verifier = base64url(randomBytes(32));
  const params = new URLSearchParams({
    client_id: 'demo-web',
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: options.scope,
    state: base64url(randomBytes(16)),
    nonce: base64url(randomBytes(16)),
  });
  if (options.pkce !== false) {
    params.set('code_challenge', base64url(createHash('sha256').update(verifier).digest()));
    params.set('code_challenge_method', 'S256');
  }
  if (options.resource) params.set('resource', options.resource);
  const page = await follow(browser, issuer, await browser.fetch(`${issuer}/auth?${params}`));
  if (page instanceof URL) return { browser, callback: page, verifier, loginPage: '' };
  const action = /<form method="post" action="([^"]+)"/.exec(page.body)?.[1];
  if (!action) throw new Error(`no login form: ${page.status} ${page.body.slice(0, 300)}`);
  const submitted = await browser.fetch(new URL(action, issuer).href, {
    form: { username: options.username, password: options.password ?? options.username },
  });
  const done = await follow(browser, issuer, submitted);
  if (!(done instanceof URL))
    throw new Error(`sign-in did not return to the client: ${done.status} ${done.body.slice(0, 300)}`);
  if (done.searchParams.get('state') !== params.get('state')) throw new Error('state was not returned');
  return { browser, callback: done, verifier, loginPage: page.body };
}

export function exchangeCode(
  client: HttpsClient,
  issuer: string,
  code: string,
  verifier: string,
  redirectUri = REDIRECT_URI,
) {
  return client.fetch(`${issuer}/token`, {
    headers: { authorization: WEB },
    form: { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
  });
}
