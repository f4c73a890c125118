// OWNER: token helper. Placeholder contract; replace with the real implementation.
import { ConfigInvalidError } from '../errors.js';
import type { Principal } from '../principal.js';

/** Options for access tokens: JWT issuers (JWKS / discovery / static keys) and introspection. */
export interface TokenOptions {
  [key: string]: unknown;
}

/** Verifies one access token into a principal of kind `token`, or throws a restguard error. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
  close(): void | Promise<void>;
}

export function createTokenVerifier(_options: TokenOptions): TokenVerifier {
  throw new ConfigInvalidError('token verification: not implemented yet');
}
