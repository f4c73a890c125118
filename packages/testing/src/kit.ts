/**
 * `createTestKit`: what a test of an app guarded by restguard needs in one call — a running test
 * issuer, a token it minted, and an API-key store holding keys of the permissions you name, with
 * guard options that trust both, ready for `createGuard` (or an adapter).
 *
 * This package does not depend on `@restguard/core` (core's own tests use this package); pass core's
 * module in, as `createTestKit(core, …)` with `import * as core from '@restguard/core'`.
 */
import { createTestIssuer, type TestIssuer, type TestIssuerOptions } from './issuer.js';
import type { FetchLike } from './tls.js';

/** The two functions of `@restguard/core` the kit calls: `import * as core from '@restguard/core'`. */
export interface TestKitCore<Store> {
  /** Core's `createMemoryApiKeyStore`: the kit's key store. */
  createMemoryApiKeyStore(): Store;
  /** Core's `createApiKey`: creates each key of `apiKeys` in the store; the kit keeps `key`. */
  createApiKey(store: Store, options: { name: string; permissions: string[] }): Promise<{ key: string }>;
}

/** Options of {@link createTestKit}: the issuer's, and the API keys to create. */
export interface TestKitOptions extends TestIssuerOptions {
  /** Keys to create, by name: `{ reader: ['read'], writer: ['read', 'write'] }`. Default none. */
  apiKeys?: Record<string, string[]>;
}

/** Guard options for the kit's issuer and store; spread your own beside them. */
export interface TestKitGuardOptions<Store> {
  tokens: {
    issuers: [{ issuer: string; audience: string }];
    fetch: FetchLike;
    /** True for a plain-HTTP issuer (loopback only), false over HTTPS. */
    allowInsecureRequests: boolean;
  };
  apiKeys: { store: Store };
}

/** A running kit; always `close()` it. */
export interface TestKit<Store> {
  readonly issuer: TestIssuer;
  /** An access token minted by `issuer` with its defaults (`sub` alice, `scope` read unless set). */
  readonly token: string;
  /** Core's memory API-key store holding {@link TestKit.apiKeys}. */
  readonly store: Store;
  /** The created keys' secrets, by the names given in `apiKeys`. */
  readonly apiKeys: Readonly<Record<string, string>>;
  /** `{ tokens, apiKeys }` trusting the issuer and the store. */
  readonly guardOptions: TestKitGuardOptions<Store>;
  /** Stops the issuer. */
  close(): Promise<void>;
}

/** Creates the named keys one after the other, in the order given. */
async function createNamedKeys<Store>(
  core: TestKitCore<Store>,
  store: Store,
  specs: Record<string, string[]>,
): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const [name, permissions] of Object.entries(specs)) {
    keys[name] = (await core.createApiKey(store, { name, permissions })).key;
  }
  return keys;
}

/**
 * Starts a test issuer, mints a token and fills a memory API-key store.
 * @example
 * import * as core from '@restguard/core';
 * const kit = await createTestKit(core, { scope: 'read write', apiKeys: { reader: ['read'] } });
 * const guard = core.createGuard({ ...kit.guardOptions, tls: false });
 * // … send `Bearer ${kit.token}` or `x-api-key: ${kit.apiKeys.reader}` to the guarded app …
 * await guard.close();
 * await kit.close();
 */
export async function createTestKit<Store>(
  core: TestKitCore<Store>,
  options: TestKitOptions = {},
): Promise<TestKit<Store>> {
  const { apiKeys: specs = {}, ...issuerOptions } = options;
  const issuer = await createTestIssuer(issuerOptions);
  try {
    const store = core.createMemoryApiKeyStore();
    const apiKeys = await createNamedKeys(core, store, specs);
    const token = await issuer.mint();
    return {
      issuer,
      token,
      store,
      apiKeys,
      guardOptions: {
        tokens: {
          issuers: [{ issuer: issuer.url, audience: issuer.audience }],
          fetch: issuer.fetch,
          allowInsecureRequests: !options.https,
        },
        apiKeys: { store },
      },
      close: () => issuer.close(),
    };
  } catch (error) {
    await issuer.close();
    throw error;
  }
}
