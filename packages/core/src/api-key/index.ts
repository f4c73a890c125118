// OWNER: api-key helper. Placeholder contract; replace with the real implementation.
import { ConfigInvalidError } from '../errors.js';
import type { Principal } from '../principal.js';

/** Options for restguard API keys (store, prefixes, peppers, cache). */
export interface ApiKeyOptions {
  [key: string]: unknown;
}

/** Checks API keys against a store. */
export interface ApiKeyVerifier {
  /** True when the value has a configured API-key prefix (tells a key apart from a JWT). */
  isApiKey(value: string): boolean;
  /** The key's principal (kind `apiKey`, scopes = permissions), or throws a restguard error. */
  verify(key: string): Promise<Principal>;
  /** A key seen over plain HTTP: which record it is, and (when `revoke`) revoke it. */
  exposed(key: string, revoke: boolean): Promise<{ id: string; revoked: boolean } | null>;
  /** Flushes write-behind `lastUsedAt` and releases the store subscription. */
  close(): Promise<void>;
}

export function createApiKeyVerifier(_options: ApiKeyOptions): ApiKeyVerifier {
  throw new ConfigInvalidError('api keys: not implemented yet');
}
