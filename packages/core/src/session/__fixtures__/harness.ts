/** Test helpers: AuthRequests, a cookie jar that follows Set-Cookie, and a login through the fixture provider. */
import type { HttpAnswer } from '../../errors.js';
import type { AuthRequest } from '../../request.js';
import { createSessionManager, type SessionManager, type SessionOptions } from '../index.js';
import type { SessionRevocationList } from '../revocation.js';
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

/**
 * Two instances (managers) sharing `lists[0]` and `lists[1]` (one shared store) see the same session
 * due for a refresh at the same instant: both requests are in flight while the provider holds the
 * first refresh call. Returns how many refresh calls the provider got, the two answers, and the two
 * instances' answers to the refreshed cookie a minute later (past the old access token's expiry).
 */
export async function refreshOnTwoInstancesAtOnce(
  provider: TestProvider,
  lists: [SessionRevocationList, SessionRevocationList],
) {
  const instances = lists.map((revocations) => managerFor(provider, { revocations }));
  const jar = new Jar();
  await login(instances[0]!.manager, provider, jar);
  const before = provider.counts.refresh;
  let open!: () => void;
  provider.behaviour.refreshGate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const due = instances[0]!.clock.now + 250_000; // within 60 s of the 300 s expiry
  for (const { clock } of instances) clock.now = due;
  const pending = instances.map(({ manager }) => manager.authenticate(req('GET', '/api/notes', jar)));
  // The provider holds its answer until each request has either reached it or been answered (bounded).
  let settled = 0;
  for (const answer of pending)
    answer.then(
      () => settled++,
      () => settled++,
    );
  for (let i = 0; i < 500 && provider.counts.refresh - before + settled < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  open();
  const answers = await Promise.all(pending);
  provider.behaviour.refreshGate = undefined;
  const refreshed = answers.find((answer) => answer?.setCookies.length === 1);
  if (refreshed) jar.apply(refreshed);
  for (const { clock } of instances) clock.now = due + 60_000;
  const after = await Promise.all(
    instances.map(({ manager }) => manager.authenticate(req('GET', '/api/notes', jar))),
  );
  return { refreshCalls: provider.counts.refresh - before, answers, after };
}
