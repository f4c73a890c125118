// OWNER: session (browser SSO) helper. Placeholder contract; replace with the real implementation.
import { ConfigInvalidError, type HttpAnswer } from '../errors.js';
import type { Principal } from '../principal.js';
import type { AuthRequest } from '../request.js';

/** Options for OIDC browser login and sealed sessions. */
export interface SessionOptions {
  [key: string]: unknown;
}

/** Browser login routes and the session principal. */
export interface SessionManager {
  /** The session's principal (kind `session`) and cookies to set (refresh), or null: no session. */
  authenticate(request: AuthRequest): Promise<{ principal: Principal; setCookies: string[] } | null>;
  /** Handles `/auth/login`, `/auth/callback`, `/auth/logout`, back-channel logout; null otherwise. */
  handle(request: AuthRequest): Promise<HttpAnswer | null>;
  close(): Promise<void>;
}

export function createSessionManager(_options: SessionOptions): SessionManager {
  throw new ConfigInvalidError('sessions: not implemented yet');
}
