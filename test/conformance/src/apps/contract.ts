/**
 * The routes every conformance app serves, each written the idiomatic way for its framework:
 *
 * | route | needs | answer |
 * |---|---|---|
 * | `GET /api/notes` | `read` | 200 `{"notes":[]}` |
 * | `POST /api/notes` (JSON `{"text"}`) | `write` | 201 `{"id":"n1","text"}`, `Location: /api/notes/n1` |
 * | `PUT /api/notes` | a credential | 405, raised through the framework's own error path |
 * | `GET /api/me` | a credential | the principal as JSON |
 * | `GET /api/all` | `read` and `write` | 200 `{"ok":true}` |
 * | `GET /api/any` | `write` or `admin` | 200 `{"ok":true}` |
 * | `GET /api/whoami` | nothing more than the guard | 200 `{"subject": …}` (null when anonymous) |
 * | `GET /api/tamper` | a credential | tries to change `req.auth` every way it can; 200 `{"took", "scopes"}` |
 * | anything else | — | the framework's 404, as problem+json |
 *
 * The guard runs for every request (the whole app is protected), so an unknown path without a
 * credential is a 401, like any other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Guard, Principal } from '@restguard/core';

/** One framework's app, ready to be served on any Node server. */
export interface ConformanceApp {
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** The guard the adapter built from the options (closed by `close`). */
  readonly guard: Guard;
  close(): Promise<void>;
}

/** What every app answers at `GET /api/whoami`. */
export const whoami = (principal: Principal | null | undefined) => ({ subject: principal?.subject ?? null });

/** The note every app creates. */
export const createdNote = (text: unknown) => ({ id: 'n1', text });

/**
 * What a careless (or hostile) handler might do to the principal it was handed: grant itself `admin`,
 * rewrite claims, extend its key's expiry. Returns how many attempts took effect (0: the principal is
 * immutable) and the scopes it sees afterwards.
 */
export function tamper(principal: Principal): { took: number; scopes: string[] } {
  const attempts: Array<() => unknown> = [
    () => (principal.scopes as Set<string>).clear(),
    () => (principal.scopes as Set<string>).add('admin'),
    () => (principal.scopes as Set<string>).add('read'),
    () => Object.assign(principal, { subject: 'mallory', scopes: new Set(['admin']) }),
  ];
  const { claims, apiKey } = principal;
  if (claims) attempts.push(() => Object.assign(claims, { scope: 'admin', exp: 9_999_999_999 }));
  if (apiKey) {
    attempts.push(
      () => (apiKey.permissions as string[]).push('admin'),
      () => Object.assign(apiKey.metadata, { team: 'root' }),
      () => apiKey.expiresAt?.setTime(0),
    );
  }
  let took = 0;
  for (const attempt of attempts) {
    try {
      attempt();
      took++;
    } catch {
      // refused: the principal is read-only
    }
  }
  return { took, scopes: [...principal.scopes].sort() };
}
