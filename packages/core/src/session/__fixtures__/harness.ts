/** Test helpers: AuthRequests, a cookie jar that follows Set-Cookie, and a login through the fixture provider. */
import type { HttpAnswer } from '../../errors.js';
import type { AuthRequest } from '../../request.js';
import { createSessionManager, type SessionManager, type SessionOptions } from '../index.js';
import type { TestProvider } from './provider.js';

export const ORIGIN = 'https://app.test';
export const SECRET = 'first-secret-first-secret-first-secret';
export const OLD_SECRET = 'older-secret-older-secret-older-secret';

/** A cookie jar keyed by name; Set-Cookie with Max-Age=0 deletes. */
export class Jar {
  readonly cookies = new Map<string, string>();
  apply(answer: { headers: Record<string, string | string[]> } | { setCookies: string[] } | null): void {
    if (!answer) return;
    const raw = 'setCookies' in answer ? answer.setCookies : (answer.headers['set-cookie'] ?? []);
    for (const line of Array.isArray(raw) ? raw : [raw]) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      if (/Max-Age=0(;|$)/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  clone(): Jar {
    const jar = new Jar();
    for (const [k, v] of this.cookies) jar.cookies.set(k, v);
    return jar;
  }
}

/** An AuthRequest for `method url` with the jar's cookies and extra headers. */
export function req(
  method: string,
  url: string,
  jar?: Jar,
  headers: Record<string, string> = {},
  body?: string,
): AuthRequest {
  const all: Record<string, string> = { ...headers };
  if (jar && jar.cookies.size > 0) all.cookie = jar.header();
  return {
    method,
    url,
    tls: true,
    headers: (name) => (all[name] === undefined ? [] : [all[name]!]),
    ...(body !== undefined ? { body: async () => body } : {}),
  };
}

/** A manager for the fixture provider with a controllable clock. */
export function managerFor(provider: TestProvider, overrides: Partial<SessionOptions> = {}) {
  const clock = { now: Date.now() };
  const manager = createSessionManager({
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    baseUrl: ORIGIN,
    secrets: [SECRET],
    scopes: ['offline_access', 'read', 'write'],
    resource: 'https://api.test',
    allowInsecureRequests: true,
    clock: () => clock.now,
    ...overrides,
  });
  return { manager, clock };
}

/** Starts a login: the manager's redirect, and the provider's redirect back to the callback. */
export async function startLogin(
  manager: SessionManager,
  provider: TestProvider,
  jar: Jar,
  query = '',
): Promise<string> {
  const start = (await manager.handle(req('GET', `/auth/login${query}`, jar)))!;
  jar.apply(start);
  const callback = await provider.authorize(start.headers.location as string);
  const url = new URL(callback);
  return `${url.pathname}${url.search}`;
}

/** A whole login; returns the callback's answer (the jar then holds the session cookie). */
export async function login(
  manager: SessionManager,
  provider: TestProvider,
  jar: Jar,
  query = '',
): Promise<HttpAnswer> {
  const callback = await startLogin(manager, provider, jar, query);
  const answer = (await manager.handle(req('GET', callback, jar)))!;
  jar.apply(answer);
  return answer;
}
