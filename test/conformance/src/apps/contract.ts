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
