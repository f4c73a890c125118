/**
 * How `acme-client` reaches a CA: its one shared axios instance gets, for the directories this
 * package manages only, the CA bundle to trust (a test CA's directory) and no transport-level
 * retries (the manager retries whole orders on its own backoff, so a CA that is down fails fast).
 */
import { Agent } from 'node:https';
import * as acme from 'acme-client';

const managed = new Map<string, Agent | undefined>();
let installed = false;

/**
 * Registers the directory's origin; `ca` (PEM) replaces the trusted roots for it.
 * @example
 * manageDirectory('https://127.0.0.1:14000/dir', readFileSync('pebble-https-ca.pem', 'utf8'));
 */
export function manageDirectory(directoryUrl: string, ca?: string): void {
  const origin = new URL(directoryUrl).origin;
  managed.set(origin, ca === undefined ? managed.get(origin) : new Agent({ ca, keepAlive: false }));
  if (installed) return;
  installed = true;
  acme.axios.interceptors.request.use((config) => {
    let origin: string | undefined;
    try {
      origin = config.url === undefined ? undefined : new URL(config.url).origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined || !managed.has(origin)) return config;
    const agent = managed.get(origin);
    if (agent) config.httpsAgent = agent;
    // acme-client counts attempts on the request config; starting at its maximum means no retry.
    const state = config as { retryAttempt?: number };
    if (state.retryAttempt === undefined) {
      const settings = (acme.axios.defaults as { acmeSettings?: { retryMaxAttempts?: number } }).acmeSettings;
      state.retryAttempt = settings?.retryMaxAttempts ?? 5;
    }
    return config;
  });
}
