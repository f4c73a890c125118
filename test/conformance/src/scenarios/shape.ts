/**
 * The shape of the conformance table, and the expectations scenarios share.
 */
import type { Credentials, Fixtures } from '../fixtures.js';

type Headers = Array<readonly [string, string]>;

/** What one scenario expects; the suite also checks what every answer must have (see the test). */
export interface Expectation {
  readonly status: number;
  /**
   * The `WWW-Authenticate` challenge: `null` when there must be none; otherwise its RFC 6750 error
   * (`undefined` for the bare challenge), `scope` attribute and, when fixed by core, description.
   */
  readonly challenge?: { error?: string; scope?: string; description?: string } | null;
  /** Members the problem body must have (besides `status`, which must equal the status). */
  readonly problem?: Readonly<Record<string, unknown>>;
  /** The exact JSON body of a success answer. */
  readonly json?: unknown;
  /** Headers that must have (string, RegExp) or not have (null) a value. */
  readonly headers?: Readonly<Record<string, string | RegExp | null>>;
  /** Each must match one of the `Set-Cookie` headers. */
  readonly cookies?: readonly RegExp[];
  /** The guard events, as `type` or `type:code`, in order. */
  readonly events?: readonly string[];
}

export interface Scenario {
  readonly name: string;
  /** `optional`: the guard runs with `optional: true`. Default `strict`. */
  readonly profile?: 'strict' | 'optional';
  /** Default `https`. */
  readonly transport?: 'https' | 'http';
  readonly method?: string;
  readonly path: string;
  readonly headers?: (credentials: Credentials) => Headers;
  readonly body?: string;
  /** Present a client certificate on the TLS connection. */
  readonly clientCertificate?: 'bound' | 'other' | 'reader' | 'writer' | 'revoked';
  /** Runs before the requests (e.g. an outage switch); its return value runs after them. */
  readonly during?: (fixtures: Fixtures) => () => void;
  readonly expect: Expectation;
}

export const bearer = (token: string): Headers => [['authorization', `Bearer ${token}`]];
export const apiKey = (key: string): Headers => [['x-api-key', key]];
export const json: Headers = [['content-type', 'application/json']];

export const invalidToken = {
  challenge: { error: 'invalid_token' },
  problem: { type: 'urn:restguard:problem:invalid_token', title: 'Invalid token', error: 'invalid_token' },
};
export const invalidApiKey = {
  challenge: { error: 'invalid_token' },
  problem: { type: 'urn:restguard:problem:invalid_token', title: 'Invalid API key', error: 'invalid_token' },
};
export const invalidRequest = {
  challenge: { error: 'invalid_request' },
  problem: {
    type: 'urn:restguard:problem:invalid_request',
    title: 'Invalid request',
    error: 'invalid_request',
  },
};
export const missing = {
  challenge: {},
  problem: {
    type: 'urn:restguard:problem:authentication_required',
    title: 'Authentication required',
    detail: 'No credential was presented.',
  },
};
export const insufficient = (scope: string) => ({
  challenge: {
    error: 'insufficient_scope',
    scope,
    description: `The credential lacks the required scope: ${scope}.`,
  },
  problem: {
    type: 'urn:restguard:problem:insufficient_scope',
    title: 'Insufficient scope',
    error: 'insufficient_scope',
    scope,
  },
});
export const httpsRequired = {
  challenge: null,
  problem: { type: 'urn:restguard:problem:https_required', title: 'HTTPS required', error: 'https_required' },
  headers: { 'strict-transport-security': null },
};
export const frameworkProblem = (title: string) => ({
  challenge: null,
  problem: { type: 'about:blank', title },
});
export const ok = { json: { ok: true } };
export const notes = { json: { notes: [] } };
export const created = { json: { id: 'n1', text: 'hello' }, headers: { location: '/api/notes/n1' } };
